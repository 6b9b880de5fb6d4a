/**
 * `artifice check`: config, telemetry (endpoints, auth, meters), adapter and price coverage in
 * one report with pass/fail per item. Exit 0 when every item passes, 2 when one fails.
 */
import type { CheckItem } from '../check-item.js';
import type { Config } from '../config.js';
import type { Deps } from '../deps.js';
import { ArtificeError, EXIT, errorMessage } from '../errors.js';
import { loadInvoiceClass } from '../invoice/load.js';
import { renderTable } from '../table.js';
import { openCollector } from '../telemetry/open.js';
import { readConfig, type CommonOptions } from './common.js';

export interface CheckOptions extends CommonOptions {
  json?: boolean;
}

/** Each part of the check, in order; a part that throws becomes one failed item. */
type Part = (config: Config) => Promise<CheckItem[]>;

const telemetryPart: Part = async (config) => {
  const collector = await openCollector(config);
  try {
    await collector.prepare?.();
    const items = (await collector.check?.(config.meterSpecs)) ?? [];
    return [{ name: 'telemetry', ok: true, detail: collector.description }, ...items];
  } finally {
    await collector.close();
  }
};

const adapterPart: Part = async (config) => {
  await loadInvoiceClass(config.main.invoiceObject, config.dir);
  return [{ name: 'adapter', ok: true, detail: `${config.main.invoiceObject} loads and has addSection, addLine, cost, commit` }];
};

export const CHECK_PARTS: { name: string; run: Part }[] = [
  { name: 'telemetry', run: telemetryPart },
  { name: 'adapter', run: adapterPart },
];

export async function check(options: CheckOptions, deps: Deps): Promise<number> {
  const items: CheckItem[] = [];
  let config: Config | undefined;
  try {
    config = await readConfig(options, deps);
    items.push({ name: 'config', ok: true, detail: `${config.file} (${config.meterSpecs.length} meters from ${config.main.meters})` });
  } catch (error) {
    items.push({ name: 'config', ok: false, detail: errorMessage(error) });
  }
  if (config) {
    for (const part of CHECK_PARTS) {
      try {
        items.push(...(await part.run(config)));
      } catch (error) {
        items.push({ name: part.name, ok: false, detail: error instanceof ArtificeError ? error.message : errorMessage(error) });
      }
    }
  }
  if (options.json) {
    deps.stdout(`${JSON.stringify({ ok: items.every((i) => i.ok), items }, null, 2)}\n`);
  } else {
    deps.stdout(renderTable([{ header: 'check' }, { header: 'result' }, { header: 'detail' }], items.map((i) => [i.name, i.ok ? 'ok' : 'FAIL', i.detail])));
  }
  return items.every((i) => i.ok) ? EXIT.ok : EXIT.usage;
}
