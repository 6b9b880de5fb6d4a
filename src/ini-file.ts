/**
 * Reads an ini file into flat sections. The `ini` package nests dotted section names
 * (`[volume.size]` → volume → size); meter names and region names contain dots, so the
 * nesting is folded back into `volume.size`.
 */
import ini from 'ini';

export type IniSection = Record<string, string>;
export type IniSections = Map<string, IniSection>;

export function parseIni(text: string): IniSections {
  const sections: IniSections = new Map();
  flatten(ini.parse(text) as Record<string, unknown>, '', sections);
  return sections;
}

function flatten(node: Record<string, unknown>, name: string, out: IniSections): void {
  for (const [key, value] of Object.entries(node)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      flatten(value as Record<string, unknown>, name ? `${name}.${key}` : key, out);
      continue;
    }
    const section = out.get(name) ?? {};
    // ini turns `true`/`false` into booleans and `key[] =` into arrays; keep text throughout.
    section[key] = Array.isArray(value) ? value.map(String).join(',') : String(value);
    out.set(name, section);
  }
  if (name && !out.has(name) && Object.keys(node).length === 0) out.set(name, {});
}
