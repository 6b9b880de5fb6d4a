/**
 * The shape of the tree (docs/architecture.md, "Folders"): no import cycle among src/, invoices/
 * and bin/; src/model/ is a leaf; the invoice adapters (invoices/) reach the core only through
 * src/invoice/adapter.ts, and the core imports no adapter. Imports are read from the sources as
 * text (static `import`/`export … from` and dynamic `import('…')` of relative paths), so a
 * type-only cycle counts too.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../src/model/paths.js';

const ROOT = packageRoot();
const SCANNED = ['src', 'invoices', 'bin'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return /\.(ts|mjs|js)$/.test(name) || path.basename(dir) === 'bin' ? [file] : [];
  });
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

/** Relative imports of one file, resolved to repository-relative source paths (.js → .ts). */
export function importsOf(file: string, text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(SPECIFIER)) {
    const target = path.resolve(path.dirname(file), match[1]!);
    const candidates = [target, target.replace(/\.js$/, '.ts'), target.replace(/\.mjs$/, '.mts')];
    const hit = candidates.find((candidate) => { try { return statSync(candidate).isFile(); } catch { return false; } });
    found.push(path.relative(ROOT, hit ?? target));
  }
  return found;
}

function graph(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const top of SCANNED) {
    for (const file of sourceFiles(path.join(ROOT, top))) {
      edges.set(path.relative(ROOT, file), importsOf(file, readFileSync(file, 'utf8')));
    }
  }
  return edges;
}

/** Every strongly connected component of more than one file, or a file importing itself (Tarjan). */
export function cycles(edges: Map<string, string[]>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    indexOf.set(node, index);
    low.set(node, index++);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!edges.has(next)) continue;
      if (!indexOf.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, indexOf.get(next)!));
    }
    if (low.get(node) !== indexOf.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (edges.get(node) ?? []).includes(node)) found.push(component.sort());
  };
  for (const node of edges.keys()) if (!indexOf.has(node)) visit(node);
  return found;
}

describe('the import graph', () => {
  const edges = graph();

  it('reads the sources (the check is not vacuous)', () => {
    expect(edges.size).toBeGreaterThan(50);
    expect(edges.get(path.join('src', 'cli.ts'))).toContain(path.join('src', 'deps.ts'));
  });

  it('has no import cycle among src/, invoices/ and bin/', () => {
    expect(cycles(edges)).toEqual([]);
  });

  it('finds a cycle when there is one (the checker itself)', () => {
    const sample = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']], ['e', ['e']]]);
    expect(cycles(sample)).toEqual([['a', 'b', 'c'], ['e']]);
  });

  it('keeps src/model/ a leaf: it imports nothing of the project outside src/model/', () => {
    const model = path.join('src', 'model') + path.sep;
    const outside = [...edges].flatMap(([file, targets]) =>
      file.startsWith(model) ? targets.filter((t) => !t.startsWith(model)).map((t) => `${file} → ${t}`) : [],
    );
    expect(outside).toEqual([]);
  });

  it('keeps the adapters apart from the core: invoices/ imports nothing of src/ but src/invoice/adapter.ts, src/ nothing of invoices/', () => {
    const src = 'src' + path.sep;
    const invoices = 'invoices' + path.sep;
    const adapterModule = path.join('src', 'invoice', 'adapter.ts');
    const crossing = [...edges].flatMap(([file, targets]) => targets
      .filter((t) => (file.startsWith(invoices) && t.startsWith(src) && t !== adapterModule) || (file.startsWith(src) && t.startsWith(invoices)))
      .map((t) => `${file} → ${t}`));
    expect(crossing).toEqual([]);
    // Not vacuous: the built-ins do import the adapter module.
    expect(edges.get(path.join('invoices', 'file-invoice.ts'))).toContain(adapterModule);
  });
});
