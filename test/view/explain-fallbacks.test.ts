/**
 * `bill --explain` names the resources whose service came from a template fallback: the demo's
 * ci-cache volume reports no volume_type, so it bills as volume.size.standard
 * (`service = volume.size.{volume_type|standard}` in config/meters.ini).
 */
import { AFTER_MAY, demo, INITECH, run } from '../helpers/cli.js';

const MONTH = ['--month', '2024-05'];
const CI_CACHE = '04a7dc17-0e17-461f-b447-cf295c9a5680';

interface Explained { name: string; resources: { resource_id: string; fallbacks?: string[] }[] }

describe('--explain and template fallbacks', () => {
  it('the text says which resource reported no volume_type, in a preview and from the ledger after the commit', async () => {
    const d = demo();
    const note = `fallback: ${CI_CACHE} reported no volume_type, so volume.size.standard is named by the fallback of [volume.size] service`;
    const preview = await run(['bill', '--config', d.ini, '--tenant', INITECH, ...MONTH, '--dry-run', '--explain'], { cwd: d.dir, now: AFTER_MAY });
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain('south / volume.size.standard: 7440 gigabyte-hour × 0.000137 = 1.02 USD');
    expect(preview.stdout).toContain(note);
    const committed = await run(['bill', '--config', d.ini, '--tenant', INITECH, ...MONTH, '--explain'], { cwd: d.dir, now: AFTER_MAY });
    expect(committed.code).toBe(0);
    expect(committed.stdout).toContain(note);
    // Typed volumes need no note.
    expect(committed.stdout.match(/fallback:/g)).toHaveLength(1);
  });

  it('--json --explain carries `fallbacks` on that resource only', async () => {
    const d = demo();
    const result = await run(['bill', '--config', d.ini, '--all', ...MONTH, '--dry-run', '--json', '--explain'], { cwd: d.dir, now: AFTER_MAY });
    expect(result.code).toBe(0);
    const bills = (JSON.parse(result.stdout) as { bills: { explain: Explained[] }[] }).bills;
    const resources = bills.flatMap((b) => b.explain.flatMap((line) => line.resources.map((r) => ({ line: line.name, ...r }))));
    expect(resources.filter((r) => r.fallbacks)).toEqual([expect.objectContaining({ line: 'volume.size.standard', resource_id: CI_CACHE, fallbacks: ['volume_type'] })]);
    expect(resources.filter((r) => r.line.startsWith('volume.size.')).map((r) => r.line).sort())
      .toEqual(['volume.size.hdd', 'volume.size.ssd', 'volume.size.ssd', 'volume.size.standard']);
  });
});
