/**
 * The credentials an HTTP collector builds are registered in the process's Secrets the moment
 * they exist (docs/operations.md, "Secrets"): Gnocchi's Basic header. Keystone tokens:
 * test/telemetry/echo-secrets.test.ts.
 */
import { parseConfig } from '../../src/config.js';
import { REDACTED, Secrets } from '../../src/model/secrets.js';
import { openCollector } from '../../src/telemetry/open.js';
import { spec } from '../usage/helpers.js';

const INSTANCE = spec({ meter: 'instance', transform: 'uptime', service: 'flavor' });

describe('openCollector', () => {
  it('registers the Basic header of Gnocchi basic auth', async () => {
    const config = parseConfig('[main]\n[telemetry]\nbackend = gnocchi\nurl = http://g:8041\n[gnocchi]\nauth_type = basic\nuser = billing\n', '/etc/artifice/artifice.ini', [INSTANCE]);
    const secrets = new Secrets();
    const collector = await openCollector(config, secrets);
    await collector.close();
    const header = `Authorization: Basic ${Buffer.from('billing:').toString('base64')}`;
    expect(secrets.redact(header)).toBe(`Authorization: Basic ${REDACTED}`);
  });
});
