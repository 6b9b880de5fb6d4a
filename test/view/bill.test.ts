/** src/view/bill.ts: what the end of a run shows, and so what the batch keeps of each tenant. */
import type { BillOptions } from '../../src/billing/context.js';
import type { Outcome } from '../../src/model/outcome.js';
import { reportedPart } from '../../src/view/bill.js';

describe('reportedPart', () => {
  const outcome = { usage: [{}], lines: [{}], total: 1 } as unknown as Outcome;
  const kept = (options: BillOptions, tenants: number) => {
    const o = reportedPart(options, tenants)(outcome);
    return [o.usage.length, o.lines.length, o.total];
  };

  it('keeps usage only for --explain, and lines for every view but --quiet', () => {
    expect(kept({ quiet: true }, 1000)).toEqual([0, 0, 1]);
    expect(kept({}, 1000)).toEqual([0, 1, 1]);
    expect(kept({ json: true }, 1000)).toEqual([0, 1, 1]);
    expect(kept({ json: true, quiet: true }, 1000)).toEqual([0, 1, 1]);
    expect(kept({ explain: true }, 1000)).toEqual([1, 1, 1]);
    expect(kept({ explain: true, quiet: true }, 1000)).toEqual([1, 1, 1]);
    expect(kept({ quiet: true }, 1)).toEqual([0, 1, 1]);
    expect(kept({}, 1)).toEqual([0, 1, 1]);
    expect(kept({ dryRun: true }, 1000)).toEqual([0, 1, 1]);
    expect(kept({ preview: true }, 1000)).toEqual([0, 1, 1]);
  });
});
