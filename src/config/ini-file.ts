/**
 * Reads an ini file into flat sections. The `ini` package nests dotted section names
 * (`[volume.size]` → volume → size); meter names and region names contain dots, so the
 * nesting is folded back into `volume.size`.
 *
 * The `ini` package is lenient where a config file must not be: a repeated key or section
 * silently keeps the last value, and a header it does not recognise (`[main] ; note`, or one
 * behind a UTF-8 BOM) becomes a key. The raw lines are checked first (checkLines).
 */
import ini from 'ini';

export type IniSection = Record<string, string>;
export type IniSections = Map<string, IniSection>;

/** A line the `ini` package would misread. The message names section and key or the line, not the file (the caller adds it). */
export class IniSyntaxError extends Error {}

export function parseIni(text: string): IniSections {
  // Editors on Windows save UTF-8 with a BOM; `ini` would read `\uFEFF[main]` as a key.
  const clean = text.replace(/^\uFEFF/, '');
  checkLines(clean);
  const sections: IniSections = new Map();
  flatten(ini.parse(clean) as Record<string, unknown>, '', sections);
  return sections;
}

/** The section header `ini` recognises: `[name]` at the start of the line, nothing after it but blanks. */
const HEADER = /^\[([^\]]*)\]\s*$/;
/** Something meant as a header that `ini` would take for a key. */
const LOOSE_HEADER = /^(\s*)\[([^\]]*\])?/;
const COMMENT = /^\s*[;#]/;

function checkLines(text: string): void {
  const seenSections = new Map<string, number>();
  let section = '';
  let keys = new Map<string, number>();
  text.split(/\r\n|\r|\n/).forEach((line, index) => {
    const lineNo = index + 1;
    if (line.trim() === '' || COMMENT.test(line)) return;
    const header = HEADER.exec(line);
    if (header) {
      section = ini.unsafe(header[1]!);
      const first = seenSections.get(section);
      if (first !== undefined) {
        throw new IniSyntaxError(`[${section}] is given twice (lines ${first} and ${lineNo}): put its keys in one section`);
      }
      seenSections.set(section, lineNo);
      keys = new Map();
      return;
    }
    const loose = LOOSE_HEADER.exec(line);
    if (loose) {
      const why = !loose[2]
        ? 'a section header must end with ]'
        : loose[1]
          ? 'a section header must start its line'
          : 'a section header must be alone on its line (put a comment on a line of its own)';
      // Only the header part: what follows it may be a `password = …`.
      const shown = loose[2] ? `[${loose[2]}` : line.trim().split(/[=;#]/)[0]!.trim();
      throw new IniSyntaxError(`line ${lineNo}: '${shown}': ${why}`);
    }
    const key = ini.unsafe(line.split('=')[0]);
    // `key[] = …` lines are an array by design (flatten joins them); `= value` is no key at all.
    if (key === '' || key.endsWith('[]')) return;
    const first = keys.get(key);
    if (first !== undefined) {
      const where = section === '' ? `${key} (before any [section])` : `[${section}] ${key}`;
      throw new IniSyntaxError(`${where} is given twice (lines ${first} and ${lineNo}): keep one`);
    }
    keys.set(key, lineNo);
  });
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
