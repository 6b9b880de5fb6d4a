/** Reading sample metadata, which is flattened (`flavor.name`) by the collectors but may be nested. */

/** The value at `path` as non-empty text: the flattened key first, then the nested path. */
export function metadataText(metadata: Record<string, unknown>, path: string): string | undefined {
  let value: unknown = metadata[path];
  if (value === undefined && path.includes('.')) {
    value = path.split('.').reduce<unknown>(
      (node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
      metadata,
    );
  }
  if (value === undefined || value === null || typeof value === 'object') return undefined;
  const text = String(value).trim();
  return text === '' ? undefined : text;
}

/** The first of `paths` that has a value. */
export function firstMetadataText(metadata: Record<string, unknown>, paths: readonly string[]): string | undefined {
  for (const path of paths) {
    const text = metadataText(metadata, path);
    if (text !== undefined) return text;
  }
  return undefined;
}
