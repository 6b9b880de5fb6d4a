/**
 * The keys of `artifice report` (docs/report.md): `[report] change_factor`, how far a tenant's
 * total may move against the previous month before the report lists it, and `[main] report_html`,
 * the page `bill` writes after a run.
 */
import path from 'node:path';
import { Decimal } from '../model/decimal.js';

/** What this module reads through (the config's Reader), named here so it imports nothing of src/config.ts. */
interface Reader {
  decimal(section: string, key: string): Decimal | undefined;
  string(section: string, key: string): string | undefined;
  bad(section: string, key: string, value: string, allowed: string): Error;
}

export interface ReportConfig {
  /** A tenant whose total grew or shrank by more than this factor is listed (> 1; default 2). */
  readonly changeFactor: Decimal;
  /** Absolute path of the HTML report `bill` writes after a run, when set. */
  readonly html?: string;
}

export const REPORT_KEYS = ['change_factor'] as const;
export const DEFAULT_CHANGE_FACTOR = '2';

export function parseReport(at: Reader, dir: string): ReportConfig {
  const factor = at.decimal('report', 'change_factor');
  if (factor && (factor.lte(1) || factor.gt(1000))) {
    throw at.bad('report', 'change_factor', factor.toFixed(), 'use a number above 1 and at most 1000, e.g. 2 (a total that doubled or halved)');
  }
  const html = at.string('main', 'report_html');
  return {
    changeFactor: factor ?? new Decimal(DEFAULT_CHANGE_FACTOR),
    ...(html !== undefined ? { html: path.resolve(dir, html) } : {}),
  };
}
