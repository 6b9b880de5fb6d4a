/** The month report as plain text tables for stdout (docs/report.md). */
import { formatMoney } from '../model/decimal.js';
import type { MonthReport, TotalRow } from '../report/types.js';
import { changeText, describeFinding, KIND_LABEL, ratioText, summaryText, tenantLabel } from './month-report-words.js';
import { renderTable } from './table.js';

function totalsTable(first: string, rows: TotalRow[], digits: number, label: (row: TotalRow) => string = (row) => row.key): string {
  const money = (value: TotalRow['total'] | null) => (value === null ? '' : formatMoney(value, digits));
  return renderTable(
    [{ header: first }, { header: 'currency' }, { header: 'total', align: 'right' }, { header: 'previous', align: 'right' },
      { header: 'change', align: 'right' }, { header: 'ratio', align: 'right' }, { header: 'median 6 mo', align: 'right' }],
    rows.map((row) => [label(row), row.currency, money(row.total), money(row.previous), changeText(row, digits), ratioText(row), money(row.median)]),
  );
}

export function monthReportText(report: MonthReport): string {
  const digits = report.currencyDigits;
  const parts = [`artifice report ${summaryText(report)}\n`];
  parts.push(`\nWhat to look at (totals that moved more than ×${report.changeFactor.toFixed()}, services new or gone, missing tenants, gaps, voided, failed and pending bills)\n`);
  parts.push(report.findings.length === 0
    ? 'nothing stands out\n'
    : renderTable(
      [{ header: '#', align: 'right' }, { header: 'what' }, { header: 'tenant' }, { header: 'detail' }],
      report.findings.map((f, i) => [String(i + 1), KIND_LABEL[f.kind], tenantLabel(f), describeFinding(f, digits)]),
    ));
  parts.push('\nTotals\n', totalsTable('', report.cloud, digits, () => 'cloud'));
  parts.push('\nTenants\n', totalsTable('tenant', report.tenants, digits, (row) => tenantLabel({ tenant: row.key, name: row.name })));
  parts.push('\nServices\n', totalsTable('service', report.services, digits));
  parts.push('\nDatacenters\n', totalsTable('datacenter', report.datacenters, digits));
  return parts.join('');
}
