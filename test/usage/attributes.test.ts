/** Services from resource attributes: templates, fallbacks, match, and a volume retyped mid-month (hand-computed). */
import { parseMeters } from '../../src/config/meters.js';
import { DataError } from '../../src/model/errors.js';
import { computeUsage } from '../../src/usage/index.js';
import type { UsageOptions } from '../../src/usage/types.js';
import { at, every, HOUR, sample, window } from './helpers.js';
import type { Sample } from '../../src/model/types.js';

const FILE = '/etc/artifice/meters.ini';
const MAY = window('2024-05-01T00:00Z', '2024-06-01T00:00Z');
const OPTIONS: UsageOptions = { window: MAY, trustSources: [/^openstack$/], datacenterOf: (s) => s.region };

const specs = (text: string) => parseMeters(text, FILE, 3600);
const VOLUMES = specs('[volume.size]\ntransform = gauge\nservice = volume.size.{volume_type}\nunit = gigabyte-hour\n');
const VOLUMES_FALLBACK = specs('[volume.size]\ntransform = gauge\nservice = volume.size.{volume_type|standard}\nunit = gigabyte-hour\n');

const vol = (from: string, to: string, metadata: Record<string, unknown>, resourceId = 'vol-r'): Sample[] =>
  every(HOUR, from, to, { meter: 'volume.size', resourceId, volume: 100, unit: 'GB', metadata });

const summary = (records: ReturnType<typeof computeUsage>['records']) =>
  records.map((r) => ({ resource: r.resourceId, service: r.service, quantity: r.quantity.toString(), ...(r.fallbacks ? { fallbacks: r.fallbacks } : {}) }));

describe('service templates', () => {
  it('a volume retyped mid-month splits its GB-hours between its two types, exactly', () => {
    // Hourly samples of 100 GB; hdd up to the 12:00 sample of the 15th, ssd from 13:00 on:
    // hdd holds May 1 00:00 → May 15 13:00 = 349 h, ssd the remaining 744 − 349 = 395 h.
    const samples = [...vol('2024-05-01T00:00Z', '2024-05-15T13:00Z', { volume_type: 'hdd' }), ...vol('2024-05-15T13:00Z', '2024-06-01T00:00Z', { volume_type: 'ssd' })];
    expect(summary(computeUsage(samples, VOLUMES, OPTIONS).records)).toEqual([
      { resource: 'vol-r', service: 'volume.size.hdd', quantity: '34900' },
      { resource: 'vol-r', service: 'volume.size.ssd', quantity: '39500' },
    ]);
  });

  it('a volume whose type and size change back and forth sums each stretch into its own service, exactly', () => {
    // Hours: hdd 100 GB ×2, ssd 100 GB ×1, hdd 50 GB ×1, hdd 100 GB ×2, ssd 50 GB ×1 (then nothing: max_gap ends the last hold).
    const stretches: [string, number, number][] = [['hdd', 100, 2], ['ssd', 100, 1], ['hdd', 50, 1], ['hdd', 100, 2], ['ssd', 50, 1]];
    let t = at('2024-05-01T00:00Z');
    const samples: Sample[] = [];
    for (const [type, size, hours] of stretches) {
      for (let h = 0; h < hours; h++, t += HOUR) samples.push(sample({ meter: 'volume.size', resourceId: 'vol-r', timestamp: t, volume: size, unit: 'GB', metadata: { volume_type: type } }));
    }
    expect(summary(computeUsage(samples, VOLUMES, OPTIONS).records)).toEqual([
      { resource: 'vol-r', service: 'volume.size.hdd', quantity: String(100 * 4 + 50) },
      { resource: 'vol-r', service: 'volume.size.ssd', quantity: String(100 + 50) },
    ]);
  });

  it('an attribute carries forward to samples that do not report it', () => {
    const samples = [...vol('2024-05-01T00:00Z', '2024-05-01T01:00Z', { volume_type: 'ssd' }), ...vol('2024-05-01T01:00Z', '2024-05-01T03:00Z', {})];
    expect(summary(computeUsage(samples, VOLUMES, OPTIONS).records)).toEqual([{ resource: 'vol-r', service: 'volume.size.ssd', quantity: '300' }]);
  });

  it('an attribute never reported takes the fallback, and the record says so', () => {
    const samples = [...vol('2024-05-01T00:00Z', '2024-05-01T02:00Z', {}), ...vol('2024-05-01T00:00Z', '2024-05-01T01:00Z', { volume_type: 'hdd' }, 'vol-h')];
    expect(summary(computeUsage(samples, VOLUMES_FALLBACK, OPTIONS).records)).toEqual([
      { resource: 'vol-h', service: 'volume.size.hdd', quantity: '100' },
      { resource: 'vol-r', service: 'volume.size.standard', quantity: '200', fallbacks: ['volume_type'] },
    ]);
  });

  it('without a fallback, a missing attribute fails the tenant naming the resource and the attribute', () => {
    const samples = vol('2024-05-01T00:00Z', '2024-05-01T02:00Z', {});
    const run = () => computeUsage(samples, VOLUMES, OPTIONS);
    expect(run).toThrow(DataError);
    expect(run).toThrow(/^resource vol-r of meter volume\.size reports no volume_type \(sample at 2024-05-01T00:00:00Z.*give it a fallback \(\{volume_type\|name\}\)/);
  });

  it('a sample without the attribute that holds nothing in the window fails nothing', () => {
    const stale = sample({ meter: 'volume.size', resourceId: 'vol-r', timestamp: '2024-04-30T20:00Z', volume: 100, unit: 'GB' });
    const samples = [stale, ...vol('2024-05-01T00:00Z', '2024-05-01T01:00Z', { volume_type: 'hdd' })];
    expect(summary(computeUsage(samples, VOLUMES, OPTIONS).records)).toEqual([{ resource: 'vol-r', service: 'volume.size.hdd', quantity: '100' }]);
  });

  it('a metadata object seen again after another carries what was reported last, not what it carried before', () => {
    // Collectors share one metadata object between samples (Gnocchi: one per revision): `none`
    // reports no type at 01:00 (hdd carried) and again at 03:00 and 04:00, after ssd (ssd carried).
    const [hdd, none, ssd] = [{ volume_type: 'hdd' }, {}, { volume_type: 'ssd' }];
    const samples = [hdd, none, ssd, none, none].map((metadata, h) =>
      sample({ meter: 'volume.size', resourceId: 'vol-r', timestamp: `2024-05-01T0${h}:00Z`, volume: 100, unit: 'GB', metadata }),
    );
    expect(summary(computeUsage(samples, VOLUMES, OPTIONS).records)).toEqual([
      { resource: 'vol-r', service: 'volume.size.hdd', quantity: '200' },
      { resource: 'vol-r', service: 'volume.size.ssd', quantity: '300' },
    ]);
  });

  it('uptime: service = flavor is {flavor|unknown}, as before, and {flavor} per flavor works alike', () => {
    const legacy = specs('[instance]\ntransform = uptime\nunit = hour\n');
    const template = specs('[instance]\ntransform = uptime\nservice = vm.{flavor|unknown}\nunit = hour\n');
    const samples = [
      sample({ timestamp: '2024-05-01T00:00Z', metadata: {} }),
      sample({ timestamp: '2024-05-01T01:00Z', metadata: { flavor_id: '1' } }),
    ];
    const options = { ...OPTIONS, flavorNames: { '1': 'm1.tiny' } };
    expect(summary(computeUsage(samples, legacy, options).records)).toEqual([
      { resource: 'vm-1', service: 'm1.tiny', quantity: '1' },
      { resource: 'vm-1', service: 'unknown', quantity: '1', fallbacks: ['flavor'] },
    ]);
    expect(summary(computeUsage(samples, template, options).records).map((r) => r.service)).toEqual(['vm.m1.tiny', 'vm.unknown']);
  });
});

describe('extra meters that bill an attribute (meter + match)', () => {
  const METERS = specs(
    '[instance]\ntransform = uptime\nunit = hour\n\n' +
      '[instance.license]\nmeter = instance\ntransform = uptime\nmatch = os_type=windows\nservice = license.{os_distro|windows}\nunit = hour\n',
  );
  const vm = (resourceId: string, metadata: Record<string, unknown>, from = '2024-05-01T00:00Z', to = '2024-05-01T03:00Z') =>
    every(HOUR, from, to, { resourceId, metadata: { 'flavor.name': 'm1.small', status: 'active', ...metadata } });

  it('bills the hours of matching instances as a second record beside their flavor hours', () => {
    const samples = [
      ...vm('vm-win', { 'image_meta.os_type': 'Windows', 'image_meta.os_distro': 'windows2022' }),
      ...vm('vm-linux', { 'image_meta.os_type': 'linux', 'image_meta.os_distro': 'ubuntu' }),
      ...vm('vm-bare', {}, '2024-05-01T00:00Z', '2024-05-01T01:00Z'),
    ];
    const records = computeUsage(samples, METERS, OPTIONS).records;
    expect(records.map((r) => [r.meter, r.resourceId, r.service, r.quantity.toString()])).toEqual([
      ['instance', 'vm-bare', 'm1.small', '1'],
      ['instance', 'vm-linux', 'm1.small', '3'],
      ['instance', 'vm-win', 'm1.small', '3'],
      ['instance.license', 'vm-win', 'license.windows2022', '3'],
    ]);
  });

  it('an instance that stops matching (rebuilt from another image) stops billing the licence from that sample on', () => {
    const samples = [...vm('vm-1', { os_type: 'windows', os_distro: 'win' }, '2024-05-01T00:00Z', '2024-05-01T02:00Z'), ...vm('vm-1', { os_type: 'linux' }, '2024-05-01T02:00Z', '2024-05-01T05:00Z')];
    const license = computeUsage(samples, METERS, OPTIONS).records.filter((r) => r.meter === 'instance.license');
    expect(license.map((r) => [r.service, r.quantity.toString(), r.lastSample])).toEqual([['license.win', '2', at('2024-05-01T01:00Z')]]);
  });

  it('!= and alternatives: os_distro!=ubuntu|debian bills anything else, including an instance that reports none', () => {
    const other = specs('[instance.support]\nmeter = instance\ntransform = uptime\nmatch = os_distro!=ubuntu|debian\nservice = support\nunit = hour\n');
    const samples = [...vm('a', { os_distro: 'Debian' }), ...vm('b', { os_distro: 'rhel' }), ...vm('c', {})];
    expect(computeUsage(samples, other, OPTIONS).records.map((r) => r.resourceId)).toEqual(['b', 'c']);
  });
});

describe('counter and sum bill each increase or delta under its own sample\'s service', () => {
  it('a counter: the increase up to a sample counts for that sample\'s service; the look-back baseline for none', () => {
    const [traffic] = specs('[network.outgoing.bytes]\ntransform = counter\nservice = egress.{name|other}\nunit = gigabyte\n');
    const c = (timestamp: string, volume: number, metadata: Record<string, unknown>) =>
      sample({ meter: 'network.outgoing.bytes', resourceId: 'tap-1', timestamp, volume, unit: 'B', type: 'cumulative', metadata });
    const samples = [c('2024-04-30T23:00Z', 100, { name: 'a' }), c('2024-05-01T01:00Z', 130, { name: 'a' }), c('2024-05-01T02:00Z', 200, { name: 'b' }), c('2024-05-01T03:00Z', 210, {})];
    expect(summary(computeUsage(samples, [traffic!], OPTIONS).records)).toEqual([
      { resource: 'tap-1', service: 'egress.a', quantity: '30' },
      { resource: 'tap-1', service: 'egress.b', quantity: '80' }, // 70, then 10 carried forward as b
    ]);
  });

  it('sum: each delta counts for its own sample\'s service', () => {
    const [requests] = specs('[api.requests]\ntransform = sum\nservice = api.{method}\nattributes = method\nunit = request\n');
    const d = (timestamp: string, volume: number, method: string) => sample({ meter: 'api.requests', resourceId: 'lb-1', timestamp, volume, unit: '', type: 'delta', metadata: { method } });
    const samples = [d('2024-05-01T00:00Z', 5, 'get'), d('2024-05-01T01:00Z', 7, 'put'), d('2024-05-01T02:00Z', 1, 'get')];
    expect(summary(computeUsage(samples, [requests!], OPTIONS).records)).toEqual([
      { resource: 'lb-1', service: 'api.get', quantity: '6' },
      { resource: 'lb-1', service: 'api.put', quantity: '7' },
    ]);
  });
});
