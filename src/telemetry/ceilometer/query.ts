/** Ceilometer v2's simple query (docs/ceilometer.md): filters as q.field/q.op/q.type/q.value lists. */

export type Op = 'eq' | 'lt' | 'le' | 'gt' | 'ge';
export type Filter = [field: string, op: Op, value: string];

/** The q.* parameters of a simple query: four lists, same length, same order (docs/ceilometer.md, "Query encoding"). */
export function simpleQuery(filters: Filter[]): [string, string][] {
  return [
    ...filters.map(([field]) => ['q.field', field] as [string, string]),
    ...filters.map(([, op]) => ['q.op', op] as [string, string]),
    ...filters.map(() => ['q.type', ''] as [string, string]),
    ...filters.map(([, , value]) => ['q.value', value] as [string, string]),
  ];
}

export const GONE_HINT = 'this Ceilometer publishes to Gnocchi and serves no samples (410 Gone): set [telemetry] backend = gnocchi';
