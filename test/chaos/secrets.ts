/**
 * Looking for secrets where they must not be: each secret in every form it can take on the way
 * out (as is, JSON-escaped, URL-encoded, form-encoded, base64 of a Basic-auth pair), in text
 * gathered from stdout, stderr, the status file, invoice files and every ledger row.
 */
import { existsSync, readFileSync } from 'node:fs';
import { filesText, ledgerText, tally, type Site } from './kit.js';

/** The forms one secret can take in output. */
export function forms(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  return [...new Set([secret, json, JSON.stringify(json).slice(1, -1), encodeURIComponent(secret), encodeURIComponent(secret).replace(/%20/g, '+')])];
}

/** `Basic base64(user:password)` and its base64 alone. */
export function basicForms(user: string, password: string): string[] {
  const b64 = Buffer.from(`${user}:${password}`).toString('base64');
  return [b64, b64.replace(/=+$/, '')];
}

/** Which of the secrets (by label) appear in `text`, in any form. */
export function leaked(text: string, secrets: Record<string, string[]>): string[] {
  const found: string[] = [];
  for (const [label, variants] of Object.entries(secrets)) {
    if (variants.some((v) => v.length >= 4 && text.includes(v))) found.push(label);
  }
  return found;
}

/** Everything a run leaves behind that a person or a program reads: output, status file, invoices, ledger. */
export function runTraces(site: Site, out: { stdout: string; stderr: string }): Record<string, string> {
  const traces: Record<string, string> = { stdout: out.stdout, stderr: out.stderr };
  if (existsSync(site.statusFile)) traces['status file'] = readFileSync(site.statusFile, 'utf8');
  for (const [name, text] of filesText(site.outDir)) traces[`invoice ${name}`] = text;
  traces.ledger = ledgerText(site.database);
  return traces;
}

/** Where (which trace) which secret leaked, tallied; empty when nothing did. */
export function leaksIn(traces: Record<string, string>, secrets: Record<string, string[]>, label: string): string[] {
  const problems: string[] = [];
  for (const [where, text] of Object.entries(traces)) {
    for (const secret of leaked(text, secrets)) problems.push(`${label}: ${secret} in ${where}`);
  }
  tally('leaks', problems.length, problems.join('; '));
  return problems;
}
