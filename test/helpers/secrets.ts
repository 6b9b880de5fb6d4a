/** What the tests of redaction share (docs/operations.md, "Secrets"). */

/** Where `text` shows `secret`: as is, or JSON-escaped once or twice (empty when nowhere). */
export function leaks(text: string, secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  return [secret, json, JSON.stringify(json).slice(1, -1)].filter((form) => text.includes(form));
}
