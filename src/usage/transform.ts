/** The shape every transform (uptime, gauge, counter, sum) shares, so index.ts can dispatch on the spec. */
import type { ResourceUsage, UsageOptions } from './types.js';
import type { MeterSpec, Sample } from '../model/types.js';

export type TransformContext = Pick<UsageOptions, 'window' | 'flavorNames'>;

/**
 * `samples`: one resource's trusted, unique samples of `spec.meter`, in the total order of
 * `sampleOrder`, none at or after the window end. Gives at most one entry per service.
 */
export type Transform = (samples: readonly Sample[], spec: MeterSpec, context: TransformContext) => ResourceUsage[];
