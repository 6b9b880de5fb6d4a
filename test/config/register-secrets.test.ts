/** src/config/secrets.ts: registerConfigSecrets registers every secret a config holds, and nothing else. */
import { parseConfig } from '../../src/config.js';
import { isInvoiceSecretKey, registerConfigSecrets } from '../../src/config/secrets.js';
import { REDACTED, Secrets } from '../../src/model/secrets.js';

const FILE = '/etc/artifice/artifice.ini';

function registered(text: string): Secrets {
  const secrets = new Secrets();
  registerConfigSecrets(parseConfig(text, FILE), secrets);
  return secrets;
}

const CEILOMETER = '[main]\n[telemetry]\nbackend = ceilometer\nurl = http://c:8777\n';

describe('registerConfigSecrets', () => {
  it('registers the Keystone password', () => {
    const secrets = registered(`${CEILOMETER}[keystone]\nauth_url = http://k:5000/v3\nusername = billing\npassword = pa55-word\nproject_name = admin\n`);
    expect(secrets.redact('pa55-word, billing, admin')).toBe(`${REDACTED}, billing, admin`);
  });

  it('registers the application credential secret', () => {
    const secrets = registered(`${CEILOMETER}[keystone]\nauth_url = http://k:5000/v3\napplication_credential_id = cred-1\napplication_credential_secret = s3cret-cred\n`);
    expect(secrets.redact('cred-1 s3cret-cred')).toBe(`cred-1 ${REDACTED}`);
  });

  it('registers the [invoice:object] keys that hold secrets, and no other value', () => {
    const secrets = registered(`[main]\n[telemetry]\nbackend = file\nfile = /tmp/s.ndjson\n[invoice:object]
url = http://erp.example
user = billing-user
password = erp-pass
api_key = erp-api-key
webhook_token = hook-token
signing_secret = sign-secret
client_key = client-k3y
sftp_password = sftp-pass
journal = Customer Invoices
`);
    const text = 'http://erp.example billing-user erp-pass erp-api-key hook-token sign-secret client-k3y sftp-pass Customer Invoices';
    expect(secrets.redact(text)).toBe(`http://erp.example billing-user ${Array(6).fill(REDACTED).join(' ')} Customer Invoices`);
  });

  it('knows a secret key by its name', () => {
    for (const key of ['password', 'api_key', 'x_password', 'x_secret', 'x_token', 'x_key', 'credential_id']) expect(isInvoiceSecretKey(key)).toBe(true);
    for (const key of ['url', 'user', 'journal', 'keyword', 'monkey', 'product_pattern']) expect(isInvoiceSecretKey(key)).toBe(false);
  });
});
