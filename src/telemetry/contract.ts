/**
 * The Collector contract: every telemetry backend (file, Ceilometer v2, Gnocchi v1) serves
 * normalized samples through it, so usage transforms never know where samples came from.
 */
import type { Micros } from '../model/time.js';
import { concatAll } from '../model/arrays.js';
import type { CheckItem, Collected, MeterSpec, Sample, SampleQuery, Tenant } from '../model/types.js';

export interface Collector {
  /** Human name for messages, e.g. `file /path/samples.ndjson` or `gnocchi http://…`. */
  readonly description: string;
  /** Samples of one meter for one project in [start, end), in any order. */
  samples(query: SampleQuery): Promise<Sample[]>;
  /**
   * The same samples as `samples(query)`, some of them as series kept compact until the usage
   * step reads them. What the billing pipeline calls when a collector has it.
   */
  collect?(query: SampleQuery): Promise<Collected>;
  /** Tenants that have telemetry in [start, end) (for `--all` without Keystone). */
  tenants(start: Micros, end: Micros): Promise<Tenant[]>;
  /**
   * Checks the source can be read at all (file present, endpoint configured) before any bill
   * is claimed, so bad configuration fails the command (exit 2) and touches no ledger.
   */
  prepare?(): Promise<void>;
  /**
   * For `artifice check`: endpoints found, whether auth works, whether each meter is readable.
   * Never throws: a problem is a failed item.
   */
  check?(specs: MeterSpec[]): Promise<CheckItem[]>;
  /**
   * A collector that sees every project it has (the file collector) resolves `--tenant REF`: an
   * id it has, else the one project named REF. Undefined: no such project; throws when REF names
   * several. Collectors that cannot tell (an API without Keystone) leave it out.
   */
  lookupTenant?(ref: string): Promise<Tenant | undefined>;
  /** Releases sockets, files. Safe to call twice. */
  close(): Promise<void>;
}

/** Every sample of what `collect()` answered, its series read: `samples()` of a collector that collects. */
export function allSamples({ samples, series }: Collected): Sample[] {
  return concatAll([samples, ...series.map((one) => one.samples())]);
}
