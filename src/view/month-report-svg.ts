/**
 * Inline SVG charts of the month report (docs/report.md), drawn here without a library: a column
 * chart (a total over the months) and a bar chart (a split of the month). Every chart names the
 * table that holds its numbers (`data-table`), and every bar carries its label and value
 * (`data-label`, `data-value`) exactly as that table shows them. Outliers are hatched and labelled
 * in words, so colour is never the only signal.
 */
import { Decimal } from '../model/decimal.js';

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export interface Bar {
  label: string;
  value: Decimal;
  /** The value as the table shows it. */
  text: string;
  /** Words that mark an outlier (`total changed ×3.00`); the bar is hatched. */
  flag?: string;
  /** A tick at another value (last month's), with its words. */
  marker?: { value: Decimal; text: string };
}

export interface Chart {
  id: string;
  title: string;
  /** The id of the table with the same numbers. */
  table: string;
  bars: Bar[];
}

const WIDTH = 720;
const num = (n: number) => String(Math.round(n * 100) / 100);

function scale(bars: Bar[]): (value: Decimal) => number {
  const max = Decimal.max(0, ...bars.flatMap((b) => [b.value, ...(b.marker ? [b.marker.value] : [])]));
  return (value) => (max.isZero() || value.isNegative() ? 0 : value.dividedBy(max).toNumber());
}

function open(chart: Chart, height: number): string {
  return `<svg id="${esc(chart.id)}" class="chart" data-table="${esc(chart.table)}" role="img" aria-labelledby="${esc(chart.id)}-title" ` +
    `viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${esc(chart.id)}-title">${esc(chart.title)} (the numbers are in the table below)</title>` +
    `<defs><pattern id="${esc(chart.id)}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
    '<rect width="6" height="6" class="hatch-bg"/><line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/></pattern></defs>';
}

function rect(chart: Chart, bar: Bar, x: number, y: number, w: number, h: number): string {
  // A style, not a fill attribute: the stylesheet's .bar fill would override an attribute.
  const fill = bar.flag ? ` style="fill:url(#${esc(chart.id)}-hatch)"` : '';
  return `<rect class="bar${bar.flag ? ' outlier' : ''}" x="${num(x)}" y="${num(y)}" width="${num(w)}" height="${num(h)}"${fill} ` +
    `data-label="${esc(bar.label)}" data-value="${esc(bar.text)}"><title>${esc(`${bar.label}: ${bar.text}${bar.flag ? ` (${bar.flag})` : ''}`)}</title></rect>`;
}

/** Horizontal bars, one per row: label, bar, value (and the flag in words); a marker as a dark tick. */
export function barChart(chart: Chart): string {
  const row = 26;
  const left = 200;
  const span = 280;
  const height = chart.bars.length * row + 10;
  const at = scale(chart.bars);
  const parts = [open(chart, height)];
  chart.bars.forEach((bar, i) => {
    const y = 5 + i * row;
    const w = at(bar.value) * span;
    parts.push(`<text class="label" x="${left - 8}" y="${y + 17}" text-anchor="end">${esc(truncate(bar.label, 28))}</text>`);
    parts.push(rect(chart, bar, left, y + 4, w, 18));
    if (bar.marker) {
      const mx = left + at(bar.marker.value) * span;
      parts.push(`<line class="marker" x1="${num(mx)}" x2="${num(mx)}" y1="${y + 1}" y2="${y + 25}" data-value="${esc(bar.marker.text)}"><title>${esc(`${bar.label}, last month: ${bar.marker.text}`)}</title></line>`);
    }
    const text = `${bar.text}${bar.flag ? ` ▲ ${bar.flag}` : ''}`;
    parts.push(`<text class="value${bar.flag ? ' flag' : ''}" x="${num(left + Math.max(w, bar.marker ? at(bar.marker.value) * span : 0) + 6)}" y="${y + 17}">${esc(text)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Vertical columns over the months, the value above each, the month below. */
export function columnChart(chart: Chart): string {
  const height = 200;
  const top = 24;
  const base = 170;
  const slot = (WIDTH - 20) / Math.max(1, chart.bars.length);
  const at = scale(chart.bars);
  const parts = [open(chart, height), `<line class="axis" x1="10" x2="${WIDTH - 10}" y1="${base}" y2="${base}"/>`];
  chart.bars.forEach((bar, i) => {
    const h = at(bar.value) * (base - top);
    const x = 10 + i * slot;
    const mid = num(x + slot / 2);
    parts.push(rect(chart, bar, x + slot * 0.2, base - h, slot * 0.6, h));
    parts.push(`<text class="value${bar.flag ? ' flag' : ''}" x="${mid}" y="${num(base - h - 6)}" text-anchor="middle">${esc(bar.text)}</text>`);
    parts.push(`<text class="label" x="${mid}" y="${base + 18}" text-anchor="middle">${esc(bar.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

function truncate(text: string, max: number): string {
  return [...text].length > max ? `${[...text].slice(0, max - 1).join('')}…` : text;
}
