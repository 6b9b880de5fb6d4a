/**
 * `[main] invoice:object = module:Class` → an adapter class, shape-checked before use.
 * `module` is a built-in short name (csv, json, odoo), a path relative to the ini file, or a
 * package (looked up from the ini file's directory, then from artifice's own); `Class` is an
 * export name, and without it the default export.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Config } from '../config.js';
import { AdapterError, errorMessage, firstLine } from '../model/errors.js';
import { missingInvoiceMethods, type InvoiceClass } from './contract.js';
import { invoiceSetup } from './context.js';

/**
 * The built-in adapters, by their module's path in the package: loaded like a user's adapter
 * given by path (the core imports no concrete adapter), and only the one configured.
 */
export const BUILT_IN: Record<string, { describe: string; module: string }> = {
  csv: { describe: 'one CSV file per bill (sections, subtotals, total)', module: 'invoices/csv/index.js' },
  json: { describe: 'one JSON file per bill', module: 'invoices/json/index.js' },
  odoo: { describe: 'one draft customer invoice per bill in Odoo, over JSON-RPC (INVOICES.md)', module: 'invoices/odoo/index.js' },
};

/** The tree this file runs from: dist/ once built, the repository itself when run from the sources (the tests). */
const TREE = fileURLToPath(new URL('../../', import.meta.url));

function builtInFile(module: string): string {
  const file = path.join(TREE, module);
  // From the sources there is no .js: the TypeScript file is what a source run imports.
  return existsSync(file) ? file : file.replace(/\.js$/, '.ts');
}

export interface LoadedAdapter {
  spec: string;
  Adapter: InvoiceClass;
}

export function splitSpec(spec: string): { module: string; exportName: string | undefined } {
  // The class follows the last colon, unless that colon belongs to a Windows drive (C:\…).
  const colon = spec.lastIndexOf(':');
  if (colon < 0 || (colon === 1 && /^[A-Za-z]:[\\/]/.test(spec))) return { module: spec, exportName: undefined };
  return { module: spec.slice(0, colon), exportName: spec.slice(colon + 1) || undefined };
}

function isPath(module: string): boolean {
  return module.startsWith('.') || path.isAbsolute(module) || /\.(m?js|cjs|ts)$/.test(module);
}

export async function loadInvoiceClass(spec: string, configDir: string): Promise<LoadedAdapter> {
  const where = `[main] invoice:object = ${spec}`;
  const { module, exportName } = splitSpec(spec.trim());
  if (!module) throw new AdapterError(`${where}: empty module; use csv, json, a path like ./my-invoice.js:MyInvoice, or a package`);

  let exports: Record<string, unknown>;
  try {
    const builtIn = BUILT_IN[module];
    if (builtIn) exports = await importFile(builtInFile(builtIn.module), where);
    else if (isPath(module)) exports = await importFile(path.resolve(configDir, module), where);
    else exports = await importPackage(module, configDir, where);
  } catch (error) {
    if (error instanceof AdapterError) throw error;
    throw new AdapterError(`${where}: cannot load module '${module}': ${firstLine(error)}`, { cause: error });
  }

  const name = exportName ?? 'default';
  const Adapter = exports[name];
  if (Adapter === undefined) {
    const available = Object.keys(exports).filter((key) => typeof exports[key] === 'function');
    throw new AdapterError(
      `${where}: module '${module}' has no export '${name}'` +
        (available.length ? `; it exports ${available.join(', ')}` : '; it exports no class'),
    );
  }
  const missing = missingInvoiceMethods(Adapter);
  if (missing.length) {
    throw new AdapterError(
      typeof Adapter === 'function'
        ? `${where}: ${name} is not an invoice adapter: it lacks ${missing.join(', ')} (see INVOICES.md)`
        : `${where}: ${name} is not a class (got ${typeof Adapter}); export the adapter class`,
    );
  }
  return { spec, Adapter: Adapter as InvoiceClass };
}

/**
 * The configured adapter (`[main] invoice:object`), loaded and shape-checked, with its
 * `[invoice:object]` accepted by the adapter's own static `validate()` when it has one. What the
 * commands use before they bill or price anything.
 */
export async function loadAdapter(config: Pick<Config, 'main' | 'dir' | 'invoice'>): Promise<LoadedAdapter> {
  const loaded = await loadInvoiceClass(config.main.invoiceObject, config.dir);
  const { validate } = loaded.Adapter;
  if (validate === undefined) return loaded;
  const where = `[main] invoice:object = ${loaded.spec}`;
  if (typeof validate !== 'function') throw new AdapterError(`${where}: its static validate is not a function (see INVOICES.md)`);
  try {
    await validate.call(loaded.Adapter, { ...config.invoice }, invoiceSetup(config));
  } catch (error) {
    if (error instanceof AdapterError) throw error;
    throw new AdapterError(`${where}: ${firstLine(error)}`, { cause: error });
  }
  return loaded;
}

async function importFile(file: string, where: string): Promise<Record<string, unknown>> {
  if (!existsSync(file)) throw new AdapterError(`${where}: no file ${file} (paths are relative to the ini file)`);
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

/** A package from node_modules beside the ini file (walking up), else one artifice can import. */
async function importPackage(name: string, configDir: string, where: string): Promise<Record<string, unknown>> {
  const entry = findPackageEntry(name, configDir);
  if (entry) return importFile(entry, where);
  try {
    return (await import(name)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: string }).code;
    // Node says ERR_MODULE_NOT_FOUND; other loaders (Jest's, CommonJS) MODULE_NOT_FOUND. Only the
    // package itself missing is this message: a package whose own import fails says so below.
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && errorMessage(error).includes(`'${name}'`)) {
      throw new AdapterError(
        `${where}: no built-in adapter, file or package named '${name}'; built-ins: ${Object.keys(BUILT_IN).join(', ')}; ` +
          `for a file start the path with ./ ; for a package run npm install ${name}`,
        { cause: error },
      );
    }
    throw error;
  }
}

function findPackageEntry(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const root = path.join(dir, 'node_modules', name);
    const manifest = path.join(root, 'package.json');
    if (existsSync(manifest)) return path.join(root, packageMain(JSON.parse(readFileSync(manifest, 'utf8'))));
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The ESM entry of a package.json: exports["."] (import/default), else module, main, index.js. */
function packageMain(pkg: { exports?: unknown; module?: string; main?: string }): string {
  let exported: unknown = pkg.exports;
  if (exported && typeof exported === 'object' && '.' in exported) exported = (exported as Record<string, unknown>)['.'];
  while (exported && typeof exported === 'object') {
    const conditions = exported as Record<string, unknown>;
    exported = conditions.import ?? conditions.node ?? conditions.default;
  }
  return typeof exported === 'string' ? exported : (pkg.module ?? pkg.main ?? 'index.js');
}
