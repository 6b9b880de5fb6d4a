/** Array helpers for the hot paths, where a month of samples passes through. */

/**
 * The lists joined into one new array. Unlike `flat()`/`flatMap()`, which V8 runs element by
 * element through a generic path, a push loop costs little even for a tenant's ~15,000 samples.
 */
export function concatAll<T>(lists: readonly (readonly T[])[]): T[] {
  const all: T[] = [];
  for (const list of lists) for (const item of list) all.push(item);
  return all;
}
