import { computeUsage } from '../../src/usage/index.js';
import type { ResourceUsage } from '../../src/usage/types.js';
import { flavorOf, stateOf, uptime } from '../../src/usage/uptime.js';
import { at, every, HOUR, MINUTE, sample, spec, window } from './helpers.js';
import type { Sample, Window } from '../../src/model/types.js';

const INSTANCE = spec({ meter: 'instance', transform: 'uptime', service: 'flavor' });
const DAY = window('2024-05-01T00:00Z', '2024-05-02T00:00Z');

function vm(timestamp: string, metadata: Record<string, unknown>): Sample {
  return sample({ timestamp, metadata: { 'flavor.name': 'm1.small', ...metadata } });
}

function run(samples: Sample[], w: Window = DAY, flavorNames?: Record<string, string>): ResourceUsage[] {
  return uptime(samples, INSTANCE, { window: w, flavorNames });
}

function hoursByService(usages: ResourceUsage[]): Record<string, string> {
  return Object.fromEntries(usages.map((u) => [u.service, u.quantity.toString()]));
}

describe('uptime', () => {
  it('bills an instance running since the previous month from the first instant of this one', () => {
    const samples = [vm('2024-04-30T23:30Z', { status: 'active' }), vm('2024-05-01T00:30Z', { status: 'active' })];
    // 00:00–00:30 by the look-back sample, 00:30–01:30 by the last one.
    const [usage] = run(samples);
    expect(usage.quantity.toString()).toBe('1.5');
    expect(usage.sampleTimes).toEqual([at('2024-04-30T23:30Z'), at('2024-05-01T00:30Z')]);
    expect(usage.gaps).toEqual([]);
  });

  it('counts only tracked stretches when started and stopped several times', () => {
    const samples = [
      vm('2024-05-01T00:00Z', { status: 'active' }), //   00:00–00:45  45 min
      vm('2024-05-01T00:45Z', { status: 'ACTIVE' }), //   00:45–01:30  45 min
      vm('2024-05-01T01:30Z', { status: 'shutoff' }),
      vm('2024-05-01T02:00Z', { status: 'shutoff' }),
      vm('2024-05-01T02:10Z', { status: 'paused' }), //   02:10–03:00  50 min (paused is tracked)
      vm('2024-05-01T03:00Z', { status: 'active' }), //   03:00–03:40  40 min
      vm('2024-05-01T03:40Z', { status: 'suspended' }),
    ];
    expect(hoursByService(run(samples))).toEqual({ 'm1.small': '3' });
  });

  it('measures from the sample that turned it on, not a stale point (Distil bug): 1800 s, not 3600', () => {
    const samples = [
      vm('2024-05-01T00:00Z', { status: 'stopped' }),
      vm('2024-05-01T00:30Z', { status: 'active' }),
      vm('2024-05-01T01:00Z', { status: 'active' }),
    ];
    const [usage] = run(samples, window('2024-05-01T00:00Z', '2024-05-01T01:00Z'));
    expect(usage.quantity.toString()).toBe('0.5');
    expect(usage.quantity.times(3600).toString()).toBe('1800');
  });

  it('splits the hours of a resize between the two flavors', () => {
    const small = every(HOUR, '2024-04-30T23:30Z', '2024-05-01T10:00Z', {
      metadata: { 'flavor.name': 'm1.small', status: 'active' },
    });
    const large = every(HOUR, '2024-05-01T10:15Z', '2024-05-02T00:00Z', {
      metadata: { 'flavor.name': 'm1.large', status: 'resized' },
    });
    const usages = run([...small, ...large]);
    // m1.small 00:00–10:15, m1.large 10:15–24:00.
    expect(hoursByService(usages)).toEqual({ 'm1.small': '10.25', 'm1.large': '13.75' });
    const smallUsage = usages.find((u) => u.service === 'm1.small')!;
    expect(smallUsage.sampleTimes).toHaveLength(11); // the look-back one + 00:30 … 09:30
    expect(smallUsage.sampleTimes[0]).toBe(at('2024-04-30T23:30Z'));
    expect(usages.find((u) => u.service === 'm1.large')!.sampleTimes).toHaveLength(14); // 10:15 … 23:15
  });

  it('lets a sample without a state keep the state last reported, also from before the window', () => {
    const samples = [
      vm('2024-04-30T23:00Z', { status: 'shutoff' }),
      vm('2024-04-30T23:40Z', {}), //   holds 00:00–00:40, still shutoff
      vm('2024-05-01T00:40Z', {}), //   00:40–01:30, still shutoff
      vm('2024-05-01T01:30Z', { state: 'Active' }), // `state` when there is no `status`
      vm('2024-05-01T02:00Z', {}), //   still active: 01:30–03:00
      vm('2024-05-01T02:30Z', {}),
    ];
    const [usage] = run(samples, window('2024-05-01T00:00Z', '2024-05-01T03:00Z'));
    expect(usage.quantity.toString()).toBe('1.5');
    expect(usage.sampleTimes).toEqual([at('2024-05-01T01:30Z'), at('2024-05-01T02:00Z'), at('2024-05-01T02:30Z')]);
  });

  it('gives a metadata object seen again after another the state reported last, not the one it carried before', () => {
    // One shared object without a state (as a collector shares one per revision): running after
    // `active`, stopped after `shutoff`.
    const [active, silent, shutoff] = [{ 'flavor.name': 'm1.small', status: 'active' }, { 'flavor.name': 'm1.small' }, { 'flavor.name': 'm1.small', status: 'shutoff' }];
    const samples = [active, silent, shutoff, silent, silent].map((metadata, h) => sample({ timestamp: `2024-05-01T0${h}:00Z`, metadata }));
    expect(hoursByService(run(samples))).toEqual({ 'm1.small': '2' });
  });

  it('counts an instance that never reported a state as running', () => {
    const samples = [vm('2024-05-01T00:00Z', {}), vm('2024-05-01T00:30Z', {})];
    expect(hoursByService(run(samples))).toEqual({ 'm1.small': '1.5' });
  });

  it('does not bill time beyond max_gap, and reports it as a gap of the flavor whose hold ran out', () => {
    const samples = [
      vm('2024-05-01T00:00Z', { status: 'active' }),
      vm('2024-05-01T01:00Z', { status: 'active' }),
      vm('2024-05-01T04:00Z', { status: 'active' }),
      vm('2024-05-01T05:00Z', { status: 'active' }),
    ];
    const [usage] = run(samples, window('2024-05-01T00:00Z', '2024-05-01T06:00Z'));
    expect(usage.quantity.toString()).toBe('4');
    expect(usage.gaps).toEqual([{ start: at('2024-05-01T02:00Z'), end: at('2024-05-01T04:00Z') }]);
  });

  it('drops a flavor that never had tracked time', () => {
    const samples = [
      vm('2024-05-01T00:00Z', { status: 'shutoff', 'flavor.name': 'm1.large' }),
      vm('2024-05-01T00:30Z', { status: 'active' }),
    ];
    expect(hoursByService(run(samples))).toEqual({ 'm1.small': '1' });
  });

  it('uses the spec service instead of the flavor when it is not `flavor`', () => {
    const samples = [
      vm('2024-05-01T00:00Z', { status: 'active', 'flavor.name': 'm1.large' }),
      vm('2024-05-01T00:30Z', { status: 'active' }),
    ];
    const usages = uptime(samples, { ...INSTANCE, service: 'vm-hours' }, { window: DAY });
    expect(hoursByService(usages)).toEqual({ 'vm-hours': '1.5' });
  });

  it('bills all of April 2024 in Pacific/Auckland (UTC+13 → UTC+12 on 7 April): 721 hours', () => {
    // 1 April 00:00 NZDT = 31 March 11:00Z; 1 May 00:00 NZST = 30 April 12:00Z.
    const april = window('2024-03-31T11:00Z', '2024-04-30T12:00Z');
    const samples = every(HOUR, '2024-03-31T10:30Z', '2024-04-30T12:00Z', { metadata: { flavor_id: '42', status: 'active' } });
    const usages = run(samples, april, { '42': 'm1.tiny' });
    expect(hoursByService(usages)).toEqual({ 'm1.tiny': '721' });
  });

  it('bills all of March 2024 in America/Los_Angeles (UTC-8 → UTC-7 on 10 March): 743 hours', () => {
    // 1 March 00:00 PST = 1 March 08:00Z; 1 April 00:00 PDT = 1 April 07:00Z.
    const march = window('2024-03-01T08:00Z', '2024-04-01T07:00Z');
    const samples = every(30 * MINUTE, '2024-03-01T07:45Z', '2024-04-01T07:00Z', { metadata: { instance_type: 'm1.xl' } });
    const result = computeUsage(samples, [INSTANCE], {
      window: march,
      trustSources: [/^openstack$/],
      datacenterOf: (s) => s.region,
    });
    expect(result.records.map((r) => [r.service, r.quantity.toString(), r.unit])).toEqual([['m1.xl', '743', 'hour']]);
  });
});

describe('stateOf / flavorOf', () => {
  it('reads status, else state, lower-cased', () => {
    expect(stateOf(sample({ timestamp: 0, metadata: { status: 'ACTIVE', state: 'stopped' } }))).toBe('active');
    expect(stateOf(sample({ timestamp: 0, metadata: { state: 'Stopped' } }))).toBe('stopped');
    expect(stateOf(sample({ timestamp: 0, metadata: { status: '' } }))).toBeUndefined();
  });

  it('reads flavor.name, instance_type, a resolved flavor id, flavor:<id>', () => {
    const f = (metadata: Record<string, unknown>) => flavorOf(sample({ timestamp: 0, metadata }), { '1': 'm1.tiny' });
    expect(f({ 'flavor.name': 'a', instance_type: 'b' })).toBe('a');
    expect(f({ flavor: { name: 'nested' } })).toBe('nested');
    expect(f({ instance_type: 'b', flavor_id: '1' })).toBe('b');
    expect(f({ 'flavor.id': '1' })).toBe('m1.tiny');
    expect(f({ instance_flavor_id: '1' })).toBe('m1.tiny');
    expect(f({ flavor_id: '7' })).toBe('flavor:7');
    expect(f({ flavor_id: 'toString' })).toBe('flavor:toString');
    expect(f({})).toBeUndefined();
  });

  it('falls back to `unknown` when an instance never reported a flavor, and keeps the last one otherwise', () => {
    const none = [sample({ timestamp: '2024-05-01T00:00Z', metadata: { status: 'active' } })];
    expect(hoursByService(run(none))).toEqual({ unknown: '1' });
    const later = [
      sample({ timestamp: '2024-05-01T00:00Z', metadata: { status: 'active', instance_type: 'm1.small' } }),
      sample({ timestamp: '2024-05-01T00:30Z', metadata: {} }),
    ];
    expect(hoursByService(run(later))).toEqual({ 'm1.small': '1.5' });
  });
});
