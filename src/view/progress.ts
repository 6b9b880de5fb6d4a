/**
 * The progress line of a batch on stderr when it is a terminal: tenants done of total, the
 * rate, and the time left, redrawn in place with `\r` (no other escape codes, so a plain
 * terminal shows it too). Lines written through Output while it is shown go above it.
 * The clock is injected: tests drive it without timers.
 */
import { formatDuration, type Output } from './output.js';

export class Progress {
  private readonly started: number;
  private done = 0;
  private shown = '';
  private lastDraw = -Infinity;
  private last = '';

  constructor(
    private readonly output: Output,
    private readonly total: number,
    private readonly clock: () => number,
    /** Redraw at most this often (ms), except for the last tenant. */
    private readonly everyMs = 100,
    /** What the line says is going on: `billing`, `previewing`. */
    private readonly verb = 'billing',
  ) {
    this.started = clock();
    if (output.progress) {
      output.attachProgress(() => this.erase(), () => this.draw());
      this.draw();
    }
  }

  /** One more tenant finished; `label` says which and how (e.g. `acme committed`). */
  tick(label: string): void {
    this.done++;
    this.last = label;
    if (!this.output.progress) return;
    const now = this.clock();
    if (this.done === this.total || now - this.lastDraw >= this.everyMs) {
      this.erase();
      this.draw();
    }
  }

  /** The text of the line: `12/50 tenants · 2.4/s · about 16 s left · acme committed`. */
  text(now = this.clock()): string {
    const elapsed = now - this.started;
    const parts = [`${this.verb}: ${this.done}/${this.total} tenants`];
    if (this.done > 0 && elapsed > 0) {
      const perSecond = (this.done / elapsed) * 1000;
      parts.push(perSecond >= 1 ? `${perSecond.toFixed(1)}/s` : `${formatDuration(elapsed / this.done)} each`);
      if (this.done < this.total) parts.push(`about ${formatDuration(((this.total - this.done) * elapsed) / this.done)} left`);
      else parts.push(`done in ${formatDuration(elapsed)}`);
    }
    if (this.last) parts.push(this.last);
    return parts.join(' · ');
  }

  /** Removes the line for good (before the summary is printed). */
  finish(): void {
    if (!this.output.progress) return;
    this.erase();
    this.output.detachProgress();
  }

  private draw(): void {
    this.lastDraw = this.clock();
    const width = Number(process.stderr.columns) > 20 ? Number(process.stderr.columns) - 1 : 100;
    let text = this.text(this.lastDraw);
    if (text.length > width) text = `${text.slice(0, width - 1)}…`;
    this.shown = text;
    this.output.rawStderr(`\r${text}`);
  }

  private erase(): void {
    if (!this.shown) return;
    this.output.rawStderr(`\r${' '.repeat(this.shown.length)}\r`);
    this.shown = '';
  }
}
