/**
 * The month report as one self-contained HTML page (docs/report.md): no scripts, fonts or
 * external styles (a Content-Security-Policy says so), readable offline and printable. Every chart
 * is inline SVG (./month-report-svg.ts) followed by the table of its numbers; findings are words.
 */
import { Decimal, formatMoney } from '../model/decimal.js';
import type { Finding, MonthReport, TotalRow } from '../report/types.js';
import { barChart, columnChart, esc, type Bar } from './month-report-svg.js';
import { changeText, describeFinding, KIND_LABEL, ratioText, summaryText, tenantLabel } from './month-report-words.js';

/** Tenants drawn month by month, biggest this month first. */
const TOP_TENANTS = 5;

const STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;margin:2rem auto;max-width:60rem;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #bbb}h3{margin-top:1.4rem}
table{border-collapse:collapse;margin:.6rem 0 1.2rem;font-variant-numeric:tabular-nums}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}td.num,th.num{text-align:right}
caption{text-align:left;font-weight:600;padding:.3rem 0}
figure{margin:1rem 0}figcaption{font-weight:600}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(24rem,1fr));gap:0 1.5rem}
svg.chart{max-width:100%;height:auto;font-size:12px}
.bar{fill:#3a6ea5}.bar.outlier{stroke:#8a3b00;stroke-width:1.5}.hatch-bg{fill:#f0a04b}.hatch-line{stroke:#8a3b00;stroke-width:3}
.marker{stroke:#111;stroke-width:2}.axis{stroke:#888}.value.flag{font-weight:700}
.kind{font-weight:600;white-space:nowrap}.flag{font-weight:700}
@media print{body{margin:0;max-width:none}figure,table{break-inside:avoid}h2{break-after:avoid}}
`;

function moneyCell(value: Decimal | null, digits: number, series?: string): string {
  const text = value === null ? '—' : formatMoney(value, digits);
  return `<td class="num"${series ? ` data-series="${esc(series)}"` : ''}>${esc(text)}</td>`;
}

function plain(value: Decimal | null, digits: number): { value: Decimal; text: string } {
  return { value: value ?? new Decimal(0), text: value === null ? '—' : formatMoney(value, digits) };
}

const short = (row: TotalRow) => row.name ?? row.key;

function findingsHtml(report: MonthReport): string {
  if (report.findings.length === 0) return '<p>Nothing stands out this month.</p>';
  const rows = report.findings.map((f: Finding, i) =>
    `<tr><td class="num">${i + 1}</td><td class="kind">${esc(KIND_LABEL[f.kind])}</td><td>${esc(tenantLabel(f))}</td><td>${esc(describeFinding(f, report.currencyDigits))}</td></tr>`);
  return `<table id="findings"><caption>Ranked: failed and pending bills, missing tenants, totals that moved more than ×${esc(report.changeFactor.toFixed())}, coverage gaps, services new or gone, voided bills, new tenants</caption>` +
    `<thead><tr><th scope="col">#</th><th scope="col">what</th><th scope="col">tenant</th><th scope="col">detail</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The month-by-month section of one currency: the cloud and the top tenants, one table behind all charts. */
function historyHtml(report: MonthReport, currency: string): string {
  const digits = report.currencyDigits;
  const cloud = report.cloud.find((r) => r.currency === currency);
  const top = report.tenants.filter((r) => r.currency === currency && !r.total.isZero()).slice(0, TOP_TENANTS);
  const series = [...(cloud ? [{ id: `chart-cloud-${currency}`, row: cloud, title: `The cloud, ${currency}` }] : []),
    ...top.map((row, i) => ({ id: `chart-tenant-${currency}-${i + 1}`, row, title: `${short(row)}, ${currency}` }))];
  const table = `table-months-${currency}`;
  const charts = series.map((s) => `<figure><figcaption>${esc(s.title)}: total per month</figcaption>${columnChart({
    id: s.id, title: `${s.title}: total per month`, table,
    bars: report.months.map((month, m) => ({ label: month, ...plain(s.row.history[m] ?? null, digits) })),
  })}</figure>`);
  const head = `<tr><th scope="col">month</th>${series.map((s) => `<th scope="col" class="num">${esc(s.id.startsWith('chart-cloud') ? 'cloud' : short(s.row))}</th>`).join('')}</tr>`;
  const body = report.months.map((month, m) =>
    `<tr><th scope="row">${esc(month)}</th>${series.map((s) => moneyCell(s.row.history[m] ?? null, digits, s.id)).join('')}</tr>`);
  return `<h3>Totals per month, ${esc(currency)}</h3><div class="charts">${charts.join('')}</div>` +
    `<table id="${esc(table)}"><caption>Totals per month, ${esc(currency)} (— where nothing was billed)</caption><thead>${head}</thead><tbody>${body.join('')}</tbody></table>`;
}

/** Words that flag a tenant's bar as an outlier, from its findings. */
function tenantFlag(report: MonthReport, row: TotalRow): string | undefined {
  const f = report.findings.find((x) => x.tenant === row.key && (x.kind === 'changed' || x.kind === 'missing' || x.kind === 'new-tenant'));
  if (!f) return undefined;
  return f.kind === 'changed' ? `outlier: ${ratioText(row) || 'changed'}` : `outlier: ${KIND_LABEL[f.kind]}`;
}

/** A split of the month (tenants, services, datacenters) of one currency: a bar chart and its table. */
function splitHtml(report: MonthReport, what: 'tenants' | 'services' | 'datacenters', currency: string): string {
  const digits = report.currencyDigits;
  const rows = report[what].filter((r) => r.currency === currency);
  if (rows.length === 0) return '';
  const id = `chart-${what}-${currency}`;
  const table = `table-${what}-${currency}`;
  const label = what === 'tenants' ? short : (row: TotalRow) => row.key;
  const flag = (row: TotalRow) => (what === 'tenants' ? tenantFlag(report, row) : undefined);
  const bars: Bar[] = rows.map((row) => {
    const f = flag(row);
    return {
      label: label(row), ...plain(row.total, digits), ...(f ? { flag: f } : {}),
      ...(row.previous !== null ? { marker: { value: row.previous, text: formatMoney(row.previous, digits) } } : {}),
    };
  });
  const title = `${what[0]!.toUpperCase()}${what.slice(1)} in ${report.month}, ${currency} (bars; the dark tick is last month)`;
  const head = ['', ...(what === 'tenants' ? ['id'] : []), 'total', 'previous', 'change', 'ratio', 'median 6 mo', ...(what === 'tenants' ? ['look at'] : [])];
  const body = rows.map((row) => `<tr><th scope="row">${esc(label(row))}</th>${what === 'tenants' ? `<td>${esc(row.key)}</td>` : ''}` +
    `${moneyCell(row.total, digits, id)}${moneyCell(row.previous, digits)}<td class="num">${esc(changeText(row, digits))}</td>` +
    `<td class="num">${esc(ratioText(row))}</td>${moneyCell(row.median, digits)}${what === 'tenants' ? `<td class="flag">${esc(flag(row) ?? '')}</td>` : ''}</tr>`);
  return `<figure><figcaption>${esc(title)}</figcaption>${barChart({ id, title, table, bars })}</figure>` +
    `<table id="${esc(table)}"><caption>${esc(`${what[0]!.toUpperCase()}${what.slice(1)}, ${currency}`)}</caption>` +
    `<thead><tr>${head.map((h, i) => `<th scope="col"${i > 1 ? ' class="num"' : ''}>${esc(h || (what === 'tenants' ? 'tenant' : what.slice(0, -1)))}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table>`;
}

export function monthReportHtml(report: MonthReport, generatedAt: Date): string {
  const currencies = [...new Set([...report.cloud, ...report.tenants].map((r) => r.currency))].sort();
  const per = (f: (currency: string) => string) => currencies.map(f).join('');
  const empty = currencies.length === 0 ? '<p>No committed bill this month or the month before.</p>' : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Billing report ${esc(report.month)}</title><style>${STYLE}</style></head>
<body><main>
<h1>Billing report ${esc(report.month)}</h1>
<p>${esc(summaryText(report))}. From the ledger, generated ${esc(generatedAt.toISOString())}. Only committed bills count in totals; a bill belongs to the month its window starts in.</p>
<h2 id="look">What to look at</h2>${findingsHtml(report)}
<h2 id="months">Month by month</h2>${empty}${per((c) => historyHtml(report, c))}
<h2 id="tenants">Tenants</h2>${empty}${per((c) => splitHtml(report, 'tenants', c))}
<h2 id="services">Services</h2>${empty}${per((c) => splitHtml(report, 'services', c))}
<h2 id="datacenters">Datacenters</h2>${empty}${per((c) => splitHtml(report, 'datacenters', c))}
</main></body></html>
`;
}
