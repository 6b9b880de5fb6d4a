/** sum (docs/architecture.md, "Samples to usage"), for delta meters: the volumes of the samples with start ≤ t < end. */
import { Decimal } from '../model/decimal.js';
import type { Transform } from './transform.js';

export const sum: Transform = (samples, spec, { window }) => {
  const inWindow = samples.filter((s) => s.timestamp >= window.start && s.timestamp < window.end);
  if (inWindow.length === 0) return [];
  const total = inWindow.reduce((acc, s) => acc.plus(s.volume), new Decimal(0));
  return [
    {
      service: spec.service,
      quantity: total.div(spec.divideBy),
      sampleTimes: inWindow.map((s) => s.timestamp),
      gaps: [],
    },
  ];
};
