/**
 * The samples a Ceilometer read has taken so far (reader.ts). A month of 10-minute samples is
 * some 4,500 per resource and meter, each with its id and metadata; held as objects while the
 * tenant's other meters are read, they were most of a run's memory. So the samples paging can no
 * longer drop are kept compact, per resource, in arrays (time, volume, id, metadata, and the
 * fields a resource's samples share), and made into samples again only when the usage step reads
 * that resource. Each id is checked as its sample is packed: one id served with two contents
 * means the pages cannot be trusted.
 */
import { TelemetryError } from '../../model/errors.js';
import type { Micros } from '../../model/time.js';
import type { Sample, SampleSeries } from '../../model/types.js';

/** What a resource's samples mostly share: kept once, pointed to by each sample. */
type Shape = Pick<Sample, 'meter' | 'projectId' | 'unit' | 'type' | 'source' | 'region'>;

/** One resource's packed samples, in the order they were taken. */
interface Column {
  resourceId: string;
  t: Micros[];
  volume: number[];
  id: (string | null)[];
  metadata: Sample['metadata'][];
  shape: Shape[];
}

function sameShape(shape: Shape, s: Sample): boolean {
  return shape.meter === s.meter && shape.projectId === s.projectId && shape.unit === s.unit && shape.type === s.type && shape.source === s.source &&
    shape.region === s.region;
}

function sampleAt(column: Column, i: number): Sample {
  const shape = column.shape[i]!;
  return {
    meter: shape.meter, resourceId: column.resourceId, projectId: shape.projectId, timestamp: column.t[i]!, volume: column.volume[i]!,
    unit: shape.unit, type: shape.type, metadata: column.metadata[i]!, id: column.id[i]!, source: shape.source, region: shape.region,
  };
}

/** Same keys, same values (metadata values are strings, as the API flattens them). */
export function sameMetadata(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) if (a[key] !== b[key] || !Object.hasOwn(b, key)) return false;
  return true;
}

/** Two normalized samples with the same content: every field artifice reads, metadata included. */
export function sameSample(a: Sample, b: Sample): boolean {
  return a.meter === b.meter && a.resourceId === b.resourceId && a.projectId === b.projectId && a.timestamp === b.timestamp && a.volume === b.volume &&
    a.unit === b.unit && a.type === b.type && a.source === b.source && a.region === b.region && sameMetadata(a.metadata, b.metadata);
}

export class TakenSamples {
  /** Taken, not packed yet: paging may still drop those at the current upper bound. */
  private tail: Sample[] = [];
  private readonly columns = new Map<string, Column>();
  /**
   * Where each sample with an id was packed: the id's order of packing, then that sample's column
   * and place in it (one map entry and two array slots a sample, not an object).
   */
  private readonly idOrder = new Map<string, number>();
  private readonly packedColumn: Column[] = [];
  private readonly packedIndex: number[] = [];
  private packed = 0;

  /** `where`: what is read, for messages (`instance samples of P from R`). */
  constructor(private readonly where: string) {}

  get count(): number {
    return this.packed + this.tail.length;
  }

  push(sample: Sample): void {
    this.tail.push(sample);
  }

  /** Drops the taken samples at `t` that are not packed (paging re-reads that instant whole). */
  dropAt(t: Micros): void {
    this.tail = this.tail.filter((s) => s.timestamp !== t);
  }

  /**
   * Packs what paging can no longer drop: with the next query bounded by `lt T`, every sample
   * taken; with `le T`, all but those at T (a full page at T re-reads T alone).
   */
  settle(upper: { op: 'lt' | 'le'; t: Micros }): void {
    const keep: Sample[] = [];
    for (const s of this.tail) {
      if (upper.op === 'le' && s.timestamp === upper.t) keep.push(s);
      else this.pack(s);
    }
    this.tail = keep;
  }

  /** Every sample taken, as one series per resource (all packed: paging is over). */
  series(): SampleSeries[] {
    for (const s of this.tail) this.pack(s);
    this.tail = [];
    return [...this.columns.values()].map((column) => ({
      meter: column.shape[0]!.meter,
      resourceId: column.resourceId,
      samples: () => column.t.map((_, i) => sampleAt(column, i)),
    }));
  }

  private pack(s: Sample): void {
    let column = this.columns.get(s.resourceId);
    if (!column) this.columns.set(s.resourceId, (column = { resourceId: s.resourceId, t: [], volume: [], id: [], metadata: [], shape: [] }));
    if (s.id !== null) this.checkId(s, column);
    const last = column.shape[column.shape.length - 1];
    column.t.push(s.timestamp);
    column.volume.push(s.volume);
    column.id.push(s.id);
    column.metadata.push(s.metadata);
    column.shape.push(last !== undefined && sameShape(last, s) ? last : { meter: s.meter, projectId: s.projectId, unit: s.unit, type: s.type, source: s.source, region: s.region });
    this.packed++;
  }

  /** Copies of one sample are fine (identical content); one id with two contents is not. */
  private checkId(s: Sample, column: Column): void {
    const id = s.id!;
    const order = this.idOrder.get(id);
    if (order === undefined) {
      this.idOrder.set(id, this.packedColumn.length);
      this.packedColumn.push(column);
      this.packedIndex.push(column.t.length);
    } else if (!sameSample(sampleAt(this.packedColumn[order]!, this.packedIndex[order]!), s)) {
      throw new TelemetryError(`${this.where}: the server served sample ${id} twice with different content; its pages cannot be trusted`);
    }
  }
}
