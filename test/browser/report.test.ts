/**
 * The report's HTML page in a real headless Chromium (Debian's, from test/services/chromium-up.sh,
 * driven by playwright-core): it renders without console errors or outside requests, every chart's
 * numbers are those of its table, bars are drawn to scale, outliers are marked in words, and a
 * screenshot is saved under the test output (test-output/browser/, or $TEST_OUTPUT_DIR).
 * Run with `npm run test:browser` (not part of `npm test`).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { REPO, run } from '../helpers/cli.js';
import { sevenMonths } from '../report/scenario.js';

const OUTPUT = path.join(process.env.TEST_OUTPUT_DIR ?? path.join(REPO, 'test-output'), 'browser');

let browser: Browser;

beforeAll(async () => {
  const executablePath = execFileSync(path.join(REPO, 'test', 'services', 'chromium-up.sh'), { encoding: 'utf8' }).trim();
  browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 600_000);

afterAll(async () => {
  await browser?.close();
});

interface Checked {
  charts: number;
  bars: number;
  mismatches: string[];
  scale: string[];
  untitled: string[];
  outliers: string[];
}

/** Runs in the page: every bar of every chart against the cell of its table, and its length against its value. */
function checkCharts(): Checked {
  const result: Checked = { charts: 0, bars: 0, mismatches: [], scale: [], untitled: [], outliers: [] };
  for (const svg of Array.from(document.querySelectorAll<SVGSVGElement>('svg.chart'))) {
    result.charts++;
    const title = document.getElementById(svg.getAttribute('aria-labelledby') ?? '');
    if (svg.getAttribute('role') !== 'img' || !title?.textContent) result.untitled.push(svg.id);
    const table = document.getElementById(svg.dataset.table ?? '');
    if (!table || table.tagName !== 'TABLE') {
      result.mismatches.push(`${svg.id}: no table ${svg.dataset.table}`);
      continue;
    }
    const vertical = svg.id.startsWith('chart-cloud') || svg.id.startsWith('chart-tenant-');
    const ratios: number[] = [];
    for (const bar of Array.from(svg.querySelectorAll<SVGRectElement>('rect.bar'))) {
      result.bars++;
      const label = bar.dataset.label ?? '';
      const value = bar.dataset.value ?? '';
      const row = Array.from(table.querySelectorAll('tbody tr')).find((tr) => tr.querySelector('th[scope=row]')?.textContent === label);
      const cell = row?.querySelector(`td[data-series="${svg.id}"]`);
      if (cell?.textContent !== value) result.mismatches.push(`${svg.id} ${label}: chart ${value}, table ${cell?.textContent ?? '(no cell)'}`);
      const drawn = Number(bar.getAttribute(vertical ? 'height' : 'width'));
      const number = value === '—' ? 0 : Number(value);
      // A negative total (the discounts) has no bar: only its value, written beside the axis.
      if (number <= 0 ? drawn !== 0 : !(drawn > 0)) result.scale.push(`${svg.id} ${label}: ${value} drawn ${drawn}`);
      if (number > 0) ratios.push(drawn / number);
      if (bar.classList.contains('outlier')) result.outliers.push(`${svg.id} ${label}`);
    }
    const min = Math.min(...ratios);
    const max = Math.max(...ratios);
    // Lengths are rounded to 0.01 px: a short bar's ratio may be off by that much.
    if (ratios.length && (max - min) / max > 0.02) result.scale.push(`${svg.id}: px per unit from ${min} to ${max}`);
  }
  return result;
}

describe('the report page in Chromium', () => {
  it('renders without errors, its charts match its tables, and a screenshot is saved', async () => {
    const d = await sevenMonths();
    const file = path.join(d.dir, 'report.html');
    const r = await run(['report', '--config', d.ini, '--month', '2024-05', '--html', file], { cwd: d.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);

    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => {
      if (!request.url().startsWith('file:')) problems.push(`request to ${request.url()}`);
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    expect(problems).toEqual([]);

    expect(await page.locator('h1').textContent()).toBe('Billing report 2024-05');
    expect(await page.locator('h2').allTextContents()).toEqual(['What to look at', 'Month by month', 'Tenants', 'Services', 'Datacenters']);
    expect(await page.locator('script, link, iframe, object, embed').count()).toBe(0);

    const checked = await page.evaluate(checkCharts);
    // The cloud and 3 top tenants month by month, then tenants, services and datacenters.
    expect(checked.charts).toBe(7);
    const services = await page.locator('#table-services-USD tbody tr').count();
    expect(services).toBeGreaterThan(3);
    expect(checked.bars).toBe(4 * 7 + 4 + services + 3);
    expect(checked.mismatches).toEqual([]);
    expect(checked.scale).toEqual([]);
    expect(checked.untitled).toEqual([]);
    // Outliers: the tripled tenant and the missing one, marked in words beside the bar and in the table.
    expect(checked.outliers.sort()).toEqual(['chart-tenants-USD globex-research', 'chart-tenants-USD umbrella-corp']);
    const flags = await page.locator('#table-tenants-USD td.flag').allTextContents();
    expect(flags.filter(Boolean).sort()).toEqual(['outlier: tenant missing', 'outlier: ×3.00']);
    expect(await page.locator('#chart-tenants-USD text.flag').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('▲ outlier: ×3.00'), expect.stringContaining('▲ outlier: tenant missing')]),
    );
    expect(await page.locator('#findings tbody tr').count()).toBe(4);

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, 'report.png'), fullPage: true });
    await page.emulateMedia({ media: 'print' });
    await page.pdf({ path: path.join(OUTPUT, 'report.pdf') });
    expect(problems).toEqual([]);
    await page.close();
  });
});
