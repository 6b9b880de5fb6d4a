/** Damages a real ledger file the way a bad disk or a stray write would: one page overwritten. */
import fs from 'node:fs';
import Database from 'better-sqlite3';

/**
 * Overwrites the root page of table or index `name` (its `sqlite_schema.rootpage` × page size)
 * with junk. Checkpoints the WAL first, so the page is read from the main file.
 */
export function corruptRootPage(file: string, name: string): void {
  const db = new Database(file, { fileMustExist: true });
  let pageSize: number;
  let rootPage: number | undefined;
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    pageSize = db.pragma('page_size', { simple: true }) as number;
    rootPage = db.prepare('SELECT rootpage FROM sqlite_schema WHERE name = ?').pluck().get(name) as number | undefined;
  } finally {
    db.close();
  }
  if (!rootPage) throw new Error(`${file} has no table or index ${name}`);
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, (rootPage - 1) * pageSize);
  } finally {
    fs.closeSync(fd);
  }
}

/** The indexes and tables whose damage the tests show is noticed. */
export const DAMAGED_PAGES = ['bills_status', 'usage_bill', 'sqlite_autoindex_lines_1', 'usage', 'lines', 'bills'] as const;
