/**
 * Secrets that must never be printed or stored: configured passwords, application credential
 * secrets, API keys, and the tokens servers hand out at run time. A server that quotes the
 * request back (an error body echoing the JSON it was sent, a page echoing headers) quotes the
 * secret in some encoding, so each secret is searched for in every form it can travel in:
 * as is, JSON-escaped, URL-encoded (both `%20` and form `+`), HTML-escaped, and, for HTTP Basic
 * credentials, as the base64 of `user:password`.
 */
export const REDACTED = '[redacted]';

/** Shorter values are not searched for: redacting every "ab" would garble output, not protect it. */
export const MIN_SECRET_LENGTH = 4;

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Every form `secret` may be quoted in by a server or a library. */
export function encodingsOf(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  const forms = [
    secret,
    json,
    JSON.stringify(json).slice(1, -1), // JSON inside a JSON string (an echoed request body)
    encodeURIComponent(secret),
    encodeURIComponent(secret).replace(/%20/g, '+'),
    escape(secret),
    escapeHtml(secret),
    escapeHtml(json),
    Buffer.from(secret, 'utf8').toString('base64'),
  ];
  return [...new Set(forms)].filter((form) => form.length >= MIN_SECRET_LENGTH);
}

/**
 * The secrets of one process. Commands register what they read from the config and what servers
 * give them (tokens); every sink (stdout, stderr, the status file, the ledger) passes its text
 * through `redact` first.
 */
export class Secrets {
  private readonly forms = new Set<string>();
  private pattern: RegExp | null = null;

  /** Registers a secret (ignored when empty or shorter than MIN_SECRET_LENGTH). */
  add(secret: string | undefined | null): void {
    if (!secret || secret.length < MIN_SECRET_LENGTH) return;
    for (const form of encodingsOf(secret)) this.forms.add(form);
    this.pattern = null;
  }

  /** Registers HTTP Basic credentials: the password itself and the header's base64 of `user:password`. */
  addBasic(user: string, password: string): void {
    this.add(password);
    this.add(Buffer.from(`${user}:${password}`, 'utf8').toString('base64'));
  }

  get size(): number {
    return this.forms.size;
  }

  redact(text: string): string {
    if (this.forms.size === 0 || !text) return text;
    this.pattern ??= new RegExp(
      // Longest first, so a secret that contains another is replaced whole.
      [...this.forms].sort((a, b) => b.length - a.length).map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'),
      'g',
    );
    return text.replace(this.pattern, REDACTED);
  }

  /** A deep copy of a JSON-like value with every string redacted (for objects written as JSON). */
  redactValue<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((item) => this.redactValue(item)) as T;
    if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.redactValue(item)])) as T;
    }
    return value;
  }
}
