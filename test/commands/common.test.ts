/**
 * selectTenants (src/commands/common.ts) without a project directory: `--all` is the tenants
 * whose telemetry can bill in the window — including one whose last sample, just before the
 * start, still holds into it (as `--tenant` would bill it). And tenantInLedger: the tenant a
 * ledger command means by an id or a name.
 */
import { selectTenants, tenantInLedger } from '../../src/commands/common.js';
import { UsageError } from '../../src/model/errors.js';
import { Ledger } from '../../src/ledger.js';
import { loadConfig } from '../../src/config.js';
import { monthWindow } from '../../src/period.js';
import { FileCollector } from '../../src/telemetry/file.js';
import { cleanTempDirs, tempDir, writeIn } from '../helpers/tmp.js';

afterAll(cleanTempDirs);

function sample(project: string, timestamp: string): string {
  return JSON.stringify({
    id: `${project}-${timestamp}`, meter: 'instance', type: 'gauge', unit: 'instance', volume: 1, project_id: project,
    resource_id: `vm-${project}`, source: 'openstack', timestamp, metadata: { status: 'active', 'flavor.name': 'm1.small' },
  });
}

describe('selectTenants --all from the telemetry', () => {
  it('lists tenants with samples in the window or within max_gap before it, and no earlier', async () => {
    const dir = tempDir();
    writeIn(dir, 'samples.ndjson', [
      sample('inside', '2024-05-10T00:00:00'),
      sample('holds-in', '2024-04-30T23:30:00'), // holds 00:00–00:30 of May (max_gap 1 h)
      sample('too-early', '2024-04-30T22:59:59'), // its hold ends before May starts
      sample('ends-at-start', '2024-04-30T23:00:00'), // holds until exactly 00:00: nothing in May
      sample('after', '2024-06-01T00:00:00'),
    ].join('\n'));
    const ini = writeIn(dir, 'artifice.ini', '[main]\nmax_gap = 3600\n[telemetry]\nbackend = file\nfile = samples.ndjson\n');
    const config = await loadConfig({ flag: ini, env: {}, cwd: dir });
    const collector = new FileCollector(config.telemetry.file!);
    const tenants = await selectTenants({ all: true }, collector, monthWindow({ year: 2024, month: 5 }, 'UTC'), config);
    expect(tenants.map((t) => t.id)).toEqual(['holds-in', 'inside']);
  });
});

describe('tenantInLedger: --tenant of history, void and verify', () => {
  const MAY = { start: Date.parse('2024-05-01T00:00:00Z') * 1000, end: Date.parse('2024-06-01T00:00:00Z') * 1000 };
  const JUNE = { start: MAY.end, end: Date.parse('2024-07-01T00:00:00Z') * 1000 };
  const owner = { host: 'h', pid: 1, runId: 'r' };
  let ledger: Ledger;
  beforeEach(async () => {
    ledger = Ledger.open(':memory:');
    await ledger.claim({ id: 'id-1', name: 'shop' }, MAY, owner);
    await ledger.claim({ id: 'id-2', name: 'old-name' }, MAY, owner);
    await ledger.claim({ id: 'id-2', name: 'blog' }, JUNE, owner); // renamed: its latest name counts
    await ledger.claim({ id: 'id-3', name: 'twin' }, MAY, owner);
    await ledger.claim({ id: 'id-4', name: 'twin' }, MAY, owner);
    await ledger.claim({ id: 'blog', name: 'x' }, MAY, owner); // an id that is another tenant's name
  });
  afterEach(() => ledger.close());

  it('an id the ledger knows is taken as it is, before any name', async () => {
    expect(await tenantInLedger(ledger, 'id-1')).toBe('id-1');
    expect(await tenantInLedger(ledger, 'blog')).toBe('blog');
  });

  it('a name is the id of the tenant whose latest bill carries it', async () => {
    expect(await tenantInLedger(ledger, 'shop')).toBe('id-1');
    expect(await tenantInLedger(ledger, 'old-name')).toBe('old-name'); // not its name any more: no match
  });

  it('a name two tenants share is refused, listing their ids', async () => {
    await expect(tenantInLedger(ledger, 'twin')).rejects.toThrow(UsageError);
    await expect(tenantInLedger(ledger, 'twin')).rejects.toThrow('--tenant twin: 2 tenants in the ledger are named so (id-3, id-4); give the id');
  });

  it('an unknown ref is returned unchanged, for the command to say nothing matches', async () => {
    expect(await tenantInLedger(ledger, 'nobody')).toBe('nobody');
  });
});
