/**
 * meters.ini max_volume (src/usage/bounds.ts): a volume beyond physical sense, or not a finite
 * number, fails the tenant instead of billing a 300-digit total.
 */
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseMeters } from '../../src/config.js';
import { DataError } from '../../src/model/errors.js';
import { packageFile } from '../../src/model/paths.js';
import { computeUsage } from '../../src/usage/index.js';
import { ACME, DEMO_SAMPLES, GLOBEX, INITECH, demo, ledgerBills, run } from '../helpers/cli.js';
import { cleanTempDirs, writeIn } from '../helpers/tmp.js';
import { sample, window } from './helpers.js';

afterAll(cleanTempDirs);

const SPECS = parseMeters(readFileSync(packageFile('config', 'meters.ini'), 'utf8'), 'meters.ini', 3600);
const OPTIONS = { window: window('2024-05-01T00:00Z', '2024-06-01T00:00Z'), trustSources: [/^openstack$/], datacenterOf: () => 'dc' };
const vol = (volume: number) =>
  sample({ meter: 'volume.size', resourceId: 'vol-1', unit: 'GB', volume, id: 'huge-1', timestamp: '2024-05-01T01:00Z' });

describe('max_volume', () => {
  it('the packaged meters all have a bound; volume.size allows a petabyte', () => {
    expect(SPECS.every((spec) => spec.maxVolume !== undefined && spec.maxVolume > 0)).toBe(true);
    expect(computeUsage([vol(1048576)], SPECS, OPTIONS).records).toHaveLength(1);
  });

  it('refuses a volume above the bound, naming meter, resource, value and the key to raise', () => {
    expect(() => computeUsage([vol(1e308)], SPECS, OPTIONS)).toThrow(DataError);
    expect(() => computeUsage([vol(1e308)], SPECS, OPTIONS)).toThrow(
      'sample huge-1 of volume.size for resource vol-1 at 2024-05-01T01:00:00Z has a volume of 1e+308, above the meter\'s max_volume = 1048576: ' +
        'fix or remove the sample at its source, or, if such a volume is real, raise max_volume of [volume.size] in the meters file; then bill again',
    );
  });

  it('refuses a volume that is not a finite number, whatever the bound', () => {
    expect(() => computeUsage([vol(Infinity)], SPECS, OPTIONS)).toThrow(/has a volume that is not a finite number \(Infinity\)/);
    expect(() => computeUsage([vol(NaN)], SPECS.map((s) => ({ ...s, maxVolume: undefined })), OPTIONS)).toThrow(/not a finite number \(NaN\)/);
  });

  it('a 1e308 GB volume sample fails its tenant: exit 1, nothing committed for it, the others bill', async () => {
    const d = demo((text) => text.replace(/^file = .*$/m, 'file = samples.ndjson'));
    const huge = {
      id: 'huge-1', meter: 'volume.size', type: 'gauge', unit: 'GB', volume: 1e308, project_id: ACME, resource_id: 'vol-huge',
      source: 'openstack', timestamp: '2024-05-10T00:00:00', metadata: { availability_zone: 'az-south' },
    };
    writeIn(d.dir, 'samples.ndjson', `${gunzipSync(readFileSync(DEMO_SAMPLES)).toString('utf8')}${JSON.stringify(huge)}\n`);
    const r = await run(['bill', '--config', path.join(d.dir, 'artifice.ini'), '--all', '--month', '2024-05'], { cwd: d.dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/acme-webshop \(20bef52e4e1bf47d0fb39f90e12eb92d\) 2024-05: sample huge-1 of volume.size for resource vol-huge .* has a volume of 1e\+308, above the meter's max_volume = 1048576/);
    const bills = ledgerBills(d.database);
    expect(bills.filter((b) => b.status === 'committed').map((b) => b.tenant).sort()).toEqual([GLOBEX, INITECH].sort());
    expect(bills.some((b) => b.tenant === ACME && b.status === 'committed')).toBe(false);
  });
});
