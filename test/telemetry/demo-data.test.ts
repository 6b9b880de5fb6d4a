/**
 * The demo month (config/demo/samples.ndjson.gz) has the properties config/demo/README.md
 * claims. Regenerate it with `npm run build && node dist/config/demo/generate.js`.
 */
import { fileURLToPath } from 'node:url';
import { FileCollector } from '../../src/telemetry/file.js';
import { parseTimestamp } from '../../src/model/time.js';
import type { Sample } from '../../src/model/types.js';

const PATH = fileURLToPath(new URL('../../config/demo/samples.ndjson.gz', import.meta.url));
const at = (iso: string): number => parseTimestamp(iso)!;
const MAY = at('2024-05-01T00:00:00Z');
const JUNE = at('2024-06-01T00:00:00Z');
const METERS = ['instance', 'volume.size', 'ip.floating', 'image.size', 'network.incoming.bytes', 'network.outgoing.bytes'];

const TENANTS = [
  { id: '12401defeb592084bf8bac1b9fafaa7c', name: 'globex-research' },
  { id: '20bef52e4e1bf47d0fb39f90e12eb92d', name: 'acme-webshop' },
  { id: 'deee1cf5d038d5669b60a3df605510da', name: 'initech-labs' },
];

const collector = new FileCollector(PATH);
/** Every sample of the file, April to June. */
let all: Sample[];
/** Trusted instance samples of one instance, by display name, in time order. */
let instance: (name: string) => Sample[];

beforeAll(async () => {
  all = [];
  for (const tenant of TENANTS) {
    for (const meter of METERS) {
      all.push(...(await collector.samples({ projectId: tenant.id, meter, start: at('2024-04-01T00:00:00Z'), end: at('2024-07-01T00:00:00Z') })));
    }
  }
  instance = (name) =>
    all
      .filter((s) => s.meter === 'instance' && s.metadata.display_name === name && s.source === 'openstack')
      .sort((a, b) => a.timestamp - b.timestamp);
});

afterAll(() => collector.close());

const statuses = (samples: Sample[]): unknown[] => samples.map((s) => s.metadata.status);

describe('the demo month', () => {
  it('has three named tenants in May 2024', async () => {
    expect(await collector.tenants(MAY, JUNE)).toEqual(TENANTS);
  });

  it('has samples in two availability zones, and floating IPs without one', () => {
    const zones = new Set(all.map((s) => s.metadata.availability_zone));
    expect(zones).toEqual(new Set(['az-north', 'az-south', undefined]));
    const ips = all.filter((s) => s.meter === 'ip.floating');
    expect(ips.length).toBeGreaterThan(0);
    expect(ips.every((s) => s.metadata.availability_zone === undefined)).toBe(true);
    expect(all.every((s) => s.region === 'RegionOne')).toBe(true);
  });

  it('samples every 10 minutes with jitter and microsecond fractions', () => {
    // web-1 has one duplicated sample (same id): skip it.
    const web = instance('web-1').filter((s, i, list) => i === 0 || s.id !== list[i - 1].id);
    const steps = web.slice(1).map((s, i) => s.timestamp - web[i].timestamp);
    expect(Math.min(...steps)).toBeGreaterThan(590e6);
    expect(Math.max(...steps)).toBeLessThan(610e6);
    expect(web.filter((s) => s.timestamp % 1_000_000 !== 0).length).toBeGreaterThan(web.length * 0.99);
  });

  it('covers a look-back before May and the first hour of June', () => {
    const db = instance('db-1');
    expect(db[0].timestamp).toBeLessThan(at('2024-04-16T00:00:00Z'));
    const web = instance('web-1');
    expect(web[0].timestamp).toBeLessThan(MAY);
    expect(web[0].timestamp).toBeGreaterThanOrEqual(at('2024-04-30T22:00:00Z'));
    expect(web[web.length - 1].timestamp).toBeGreaterThanOrEqual(at('2024-06-01T00:50:00Z'));
  });

  it('has duplicates: the same sample id more than once', () => {
    const counts = new Map<string, number>();
    for (const s of all) counts.set(s.id!, (counts.get(s.id!) ?? 0) + 1);
    expect([...counts.values()].filter((n) => n > 1)).toEqual([2, 2, 2]);
  });

  it('has one tenant-posted (untrusted) instance sample', () => {
    const untrusted = all.filter((s) => s.source !== 'openstack');
    expect(untrusted).toHaveLength(1);
    expect(untrusted[0].meter).toBe('instance');
    expect(untrusted[0].source).toBe(`${untrusted[0].projectId}:tenant-posted`);
    expect(untrusted[0].metadata.status).toBe('active');
  });

  it('has exactly one counter decrease (a reboot)', () => {
    const decreases: string[] = [];
    for (const meter of ['network.incoming.bytes', 'network.outgoing.bytes']) {
      const byResource = new Map<string, Sample[]>();
      for (const s of all.filter((x) => x.meter === meter)) byResource.set(s.resourceId, [...(byResource.get(s.resourceId) ?? []), s]);
      for (const [resource, samples] of byResource) {
        samples.sort((a, b) => a.timestamp - b.timestamp);
        for (let i = 1; i < samples.length; i++) if (samples[i].volume < samples[i - 1].volume) decreases.push(`${meter} ${resource}`);
      }
      expect(byResource.size).toBe(3);
      for (const resource of byResource.keys()) expect(resource).toMatch(/^instance-[0-9a-f-]{36}-tap[0-9a-f]{8}-[0-9a-f]{2}$/);
    }
    expect(decreases).toHaveLength(2); // incoming and outgoing of the same interface
    expect(new Set(decreases.map((d) => d.split(' ')[1])).size).toBe(1);
  });

  it('has an instance stopped and started, with a stretch of samples without status', () => {
    const batch = instance('batch-1');
    expect(new Set(statuses(batch))).toEqual(new Set(['active', 'stopped', undefined]));
    const stops = batch.filter((s, i) => i > 0 && s.metadata.status === 'stopped' && batch[i - 1].metadata.status !== 'stopped');
    expect(stops.length).toBeGreaterThanOrEqual(3);
    expect(batch.filter((s) => s.metadata.status === undefined).length).toBeGreaterThan(60);
  });

  it('has an instance resized mid-month through verify_resize', () => {
    const app = instance('app-1');
    expect(app[0].metadata['flavor.name']).toBe('m1.medium');
    expect(app[app.length - 1].metadata['flavor.name']).toBe('m1.large');
    expect(statuses(app)).toContain('verify_resize');
  });

  it('has an instance deleted mid-month, with no samples after', () => {
    const ci = instance('ci-runner');
    expect(ci[ci.length - 1].metadata.status).toBe('deleted');
    expect(ci[ci.length - 1].timestamp).toBeLessThan(at('2024-05-21T00:00:00Z'));
  });

  it('has a volume extended from 20 to 50 GB, and a private image', () => {
    const scratch = all.filter((s) => s.meter === 'volume.size' && s.metadata.display_name === 'scratch');
    expect(new Set(scratch.map((s) => s.volume))).toEqual(new Set([20, 50]));
    const images = all.filter((s) => s.meter === 'image.size');
    expect(new Set(images.map((s) => s.volume))).toEqual(new Set([2.25 * 2 ** 30]));
  });

  it('has volume types: db-data ssd, scratch hdd retyped to ssd at 05-18 00:00, ci-cache none', () => {
    const volume = (name: string) => all.filter((s) => s.meter === 'volume.size' && s.metadata.display_name === name);
    expect(new Set(volume('db-data').map((s) => s.metadata.volume_type))).toEqual(new Set(['ssd']));
    expect(volume('ci-cache').every((s) => s.metadata.volume_type === undefined)).toBe(true);
    const scratch = volume('scratch');
    const firstSsd = scratch.findIndex((s) => s.metadata.volume_type === 'ssd');
    expect(scratch.slice(0, firstSsd).every((s) => s.metadata.volume_type === 'hdd')).toBe(true);
    expect(scratch.slice(firstSsd).every((s) => s.metadata.volume_type === 'ssd')).toBe(true);
    expect(scratch[firstSsd]!.timestamp - at('2024-05-18T00:00:00Z')).toBe(19_973_619); // 00:00:19.973619
  });
});
