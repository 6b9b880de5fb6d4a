/**
 * The Prometheus text exposition format (version 0.0.4), which node_exporter's textfile collector
 * reads: per metric family a `# HELP` and a `# TYPE` line, then one line per sample,
 * `name{label="value",…} number`. docs/operations.md ("Metrics") lists artifice's families.
 */

export interface MetricSample {
  labels?: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  /** `artifice_…`, in base units (`_seconds`); `_total` only on a counter. */
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  samples: MetricSample[];
}

/** A HELP text: a backslash and a line break are escaped. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A label value (it may come from the ledger): backslash, double quote and line break are escaped. */
function escapeLabel(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A sample value as the format spells it: `NaN`, `+Inf`, `-Inf`, or a decimal float. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return String(value);
}

function sampleLine(name: string, sample: MetricSample): string {
  const labels = Object.entries(sample.labels ?? {});
  const set = labels.length ? `{${labels.map(([key, value]) => `${key}="${escapeLabel(value)}"`).join(',')}}` : '';
  return `${name}${set} ${formatValue(sample.value)}`;
}

/** The families as one text file; a family without samples is left out (a HELP with no sample says nothing). */
export function renderMetrics(families: MetricFamily[]): string {
  return families
    .filter((family) => family.samples.length > 0)
    .map((family) => [
      `# HELP ${family.name} ${escapeHelp(family.help)}`,
      `# TYPE ${family.name} ${family.type}`,
      ...family.samples.map((sample) => sampleLine(family.name, sample)),
    ].join('\n'))
    .join('\n') + '\n';
}
