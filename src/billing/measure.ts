/** One tenant's usage in a window, from the telemetry (no ledger, no adapter): what `bill` and `verify` measure. */
import type { Config } from '../config.js';
import { concatAll } from '../model/arrays.js';
import { DataError } from '../model/errors.js';
import type { Collector } from '../telemetry/contract.js';
import { computeUsage } from '../usage/index.js';
import { telemetryMeterOf, type BillingWindow, type Collected, type MeterSpec, type Sample, type Tenant, type UsageRecord, type Window } from '../model/types.js';

/**
 * Samples of every configured meter, with the look-back the holding rule needs. The queries run
 * together; when one fails, the others are waited for before the first error is thrown, so a
 * failed tenant leaves no query running behind the batch's back (the API sees at most
 * `concurrency` tenants' queries).
 */
export async function collectSamples(collector: Collector, config: Config, tenant: Tenant, window: BillingWindow): Promise<Collected> {
  const settled = await Promise.allSettled(
    [...telemetryLookbacks(config.meterSpecs)].map(async ([meter, lookbackUs]): Promise<Collected> => {
      const query = { projectId: tenant.id, meter, start: window.start - lookbackUs, end: window.end };
      return collector.collect ? collector.collect(query) : { samples: await collector.samples(query), series: [] };
    }),
  );
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const answers = settled.map((r) => (r.status === 'fulfilled' ? r.value : { samples: [], series: [] }));
  return { samples: concatAll(answers.map((a) => a.samples)), series: concatAll(answers.map((a) => a.series)) };
}

/** Each telemetry meter once (sections may share one: `meter = instance`), with the longest look-back any of them needs. */
function telemetryLookbacks(specs: readonly MeterSpec[]): Map<string, number> {
  const lookbacks = new Map<string, number>();
  for (const spec of specs) {
    const meter = telemetryMeterOf(spec);
    lookbacks.set(meter, Math.max(lookbacks.get(meter) ?? 0, spec.lookbackUs));
  }
  return lookbacks;
}

export function datacenterResolver(config: Config): (sample: Sample) => string {
  return (sample) => {
    for (const key of ['availability_zone', 'host']) {
      const value = sample.metadata[key];
      // Own keys only: a zone named `constructor` or `__proto__` is not a [datacenters] entry.
      if (typeof value === 'string' && Object.hasOwn(config.datacenters, value)) return config.datacenters[value]!;
    }
    return sample.region;
  };
}

/**
 * Collect and compute usage for one tenant and window (no ledger, no adapter). `usageIn` measures
 * a part of the window from the same samples: a price change inside the window prices each part
 * on its own usage (src/pricing/index.ts).
 */
export async function measure(ctx: { config: Config; collector: Collector }, tenant: Tenant, window: BillingWindow) {
  const samples = await collectSamples(ctx.collector, ctx.config, tenant, window);
  const options = {
    trustSources: ctx.config.main.trustSources,
    datacenterOf: datacenterResolver(ctx.config),
    flavorNames: ctx.config.flavors,
  };
  const usage = computeUsage(samples, ctx.config.meterSpecs, { window, ...options });
  const usageIn = (part: Window): UsageRecord[] => computeUsage(samples, ctx.config.meterSpecs, { window: part, ...options }).records;
  // Samples, none trusted: a trust_sources that matches nothing here (a typo) would otherwise
  // record the window as billed empty. Failing leaves it billable once the cause is fixed.
  if (usage.kept === 0 && usage.untrusted > 0) {
    throw new DataError(
      `all ${usage.untrusted} samples of this tenant come from sources [main] trust_sources does not trust ` +
        `(${usage.untrustedSources.slice(0, 5).map((s) => `'${s}'`).join(', ')}${usage.untrustedSources.length > 5 ? ', …' : ''}): ` +
        'if they are the cloud\'s own, fix trust_sources; if the tenant posted them (source <project>:<name>), it has no billable usage: ' +
        'exclude it with [main] exclude_tenants',
    );
  }
  return { ...usage, usageIn };
}
