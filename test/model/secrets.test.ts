/** src/model/secrets.ts: a secret is found in every encoding a server may quote it in. */
import { encodingsOf, MIN_SECRET_LENGTH, REDACTED, Secrets } from '../../src/model/secrets.js';

const PASSWORD = 'p@ss "w\\rd" <x>&+ é';

describe('Secrets', () => {
  it('redacts a password as is, JSON-escaped, double JSON-escaped, URL- and form-encoded, HTML-escaped, base64', () => {
    const secrets = new Secrets();
    secrets.add(PASSWORD);
    const quoted = [
      PASSWORD,
      JSON.stringify({ password: PASSWORD }),
      JSON.stringify(JSON.stringify({ password: PASSWORD })),
      `password=${encodeURIComponent(PASSWORD)}`,
      new URLSearchParams({ password: PASSWORD }).toString(),
      `<pre>${PASSWORD.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')}</pre>`,
      Buffer.from(PASSWORD).toString('base64'),
    ];
    for (const text of quoted) {
      const out = secrets.redact(`error: server said ${text} (end)`);
      expect(out).toContain(REDACTED);
      for (const form of encodingsOf(PASSWORD)) expect(out).not.toContain(form);
    }
  });

  it('redacts HTTP Basic credentials as the Authorization header carries them', () => {
    const secrets = new Secrets();
    secrets.addBasic('admin', 'hunter22');
    const header = `Basic ${Buffer.from('admin:hunter22').toString('base64')}`;
    expect(secrets.redact(`echo: Authorization: ${header}`)).toBe(`echo: Authorization: Basic ${REDACTED}`);
  });

  it('leaves text without secrets, and short values, untouched', () => {
    const secrets = new Secrets();
    expect(secrets.redact('nothing registered')).toBe('nothing registered');
    secrets.add('x'.repeat(MIN_SECRET_LENGTH - 1));
    secrets.add('');
    secrets.add(undefined);
    expect(secrets.size).toBe(0);
    secrets.add('token-abc123');
    expect(secrets.redact('a plain line')).toBe('a plain line');
  });

  it('replaces the longer of two overlapping secrets whole', () => {
    const secrets = new Secrets();
    secrets.add('abcd');
    secrets.add('abcdefgh');
    expect(secrets.redact('x abcdefgh y')).toBe(`x ${REDACTED} y`);
  });

  it('redacts every string of a JSON-like value, keeping its shape', () => {
    const secrets = new Secrets();
    secrets.add('tok-123456');
    const value = { errors: [{ message: 'echo tok-123456' }], count: 2, ok: false, none: null };
    expect(secrets.redactValue(value)).toEqual({ errors: [{ message: `echo ${REDACTED}` }], count: 2, ok: false, none: null });
  });
});
