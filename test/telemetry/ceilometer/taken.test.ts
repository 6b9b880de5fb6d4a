/** src/telemetry/ceilometer/taken.ts: the samples a read has taken, packed per resource once paging cannot drop them. */
import { TelemetryError } from '../../../src/model/errors.js';
import { TakenSamples } from '../../../src/telemetry/ceilometer/taken.js';
import type { Sample } from '../../../src/model/types.js';
import { at, sample } from '../../usage/helpers.js';

const WHERE = 'instance samples of p-1 from RegionOne';
const T = at('2024-05-01T10:00Z');
const s = (timestamp: string, fields: Partial<Sample> = {}) => sample({ timestamp, id: `${timestamp}-${fields.resourceId ?? 'vm-1'}`, ...fields });
const read = (taken: TakenSamples) => taken.series().flatMap((series) => series.samples());

describe('TakenSamples', () => {
  it('gives back every sample taken, one series per resource, each in the order taken', () => {
    const samples = [s('2024-05-01T12:00Z'), s('2024-05-01T12:00Z', { resourceId: 'vm-2' }), s('2024-05-01T11:00Z', { metadata: { status: 'active' } })];
    const taken = new TakenSamples(WHERE);
    for (const one of samples) taken.push(one);
    taken.settle({ op: 'lt', t: T });
    const series = taken.series();
    expect(series.map((one) => [one.meter, one.resourceId])).toEqual([['instance', 'vm-1'], ['instance', 'vm-2']]);
    expect(series[0]!.samples()).toEqual([samples[0], samples[2]]);
    expect(series[1]!.samples()).toEqual([samples[1]]);
    expect(series[0]!.samples()).toEqual(series[0]!.samples()); // made anew, the same each time
  });

  it('keeps a sample whose fields differ from its resource\'s others as it was', () => {
    const odd = s('2024-05-01T11:00Z', { unit: 'vm', source: 'ceilometer', projectId: 'p-2' });
    const taken = new TakenSamples(WHERE);
    taken.push(s('2024-05-01T12:00Z'));
    taken.push(odd);
    expect(read(taken)[1]).toEqual(odd);
  });

  it('lets paging drop what it took at the bound it asks again with `le`, never what it packed', () => {
    const taken = new TakenSamples(WHERE);
    for (const one of [s('2024-05-01T12:00Z'), s('2024-05-01T10:00Z'), s('2024-05-01T10:00Z', { resourceId: 'vm-2' })]) taken.push(one);
    taken.settle({ op: 'le', t: T });
    expect(taken.count).toBe(3);
    taken.dropAt(T); // a full page at 10:00: that instant is read again on its own
    expect(taken.count).toBe(1);
    for (const one of [s('2024-05-01T10:00Z'), s('2024-05-01T10:00Z', { resourceId: 'vm-2' }), s('2024-05-01T10:00Z', { resourceId: 'vm-3' })]) taken.push(one);
    taken.settle({ op: 'lt', t: T });
    taken.dropAt(T); // packed: nothing left to drop
    expect(read(taken).map((x) => [x.resourceId, x.timestamp])).toEqual([
      ['vm-1', at('2024-05-01T12:00Z')], ['vm-1', T], ['vm-2', T], ['vm-3', T],
    ]);
  });

  it('keeps two copies of one sample, and refuses one id served with two contents', () => {
    const copies = new TakenSamples(WHERE);
    copies.push(s('2024-05-01T12:00Z'));
    copies.push(s('2024-05-01T12:00Z'));
    expect(read(copies)).toHaveLength(2);

    const twice = new TakenSamples(WHERE);
    twice.push(s('2024-05-01T12:00Z', { volume: 1 }));
    twice.push(s('2024-05-01T12:00Z', { volume: 2 }));
    const run = () => twice.series();
    expect(run).toThrow(TelemetryError);
    expect(run).toThrow(`${WHERE}: the server served sample 2024-05-01T12:00Z-vm-1 twice with different content; its pages cannot be trusted`);
  });

  it('checks ids across packings: a later page repeating an id with other metadata is refused', () => {
    const taken = new TakenSamples(WHERE);
    taken.push(s('2024-05-01T12:00Z', { metadata: { status: 'active' } }));
    taken.settle({ op: 'lt', t: T });
    taken.push(s('2024-05-01T12:00Z', { metadata: { status: 'stopped' } }));
    expect(() => taken.settle({ op: 'lt', t: at('2024-05-01T09:00Z') })).toThrow('twice with different content');
  });
});
