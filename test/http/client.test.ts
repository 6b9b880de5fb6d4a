/**
 * The shared HTTP client: retries (what, how often, how long), Retry-After, timeouts, the
 * re-auth on 401, the in-flight bound, error messages (one line, server detail, no secrets),
 * and real sockets on 127.0.0.1 (reset connections, stale keep-alive sockets, hung requests).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { cleanTempDirs, tempDir } from '../helpers/tmp.js';
import { ConfigError, TelemetryError } from '../../src/model/errors.js';
import { HttpClient, HttpError, errorDetail, parseRetryAfter, safeUrl, withQuery, type FetchLike } from '../../src/http/index.js';

type Reply = { status: number; body?: string; headers?: Record<string, string> } | Error;

/** A scripted fetch: each call takes the next reply (the last one repeats). */
function scripted(replies: Reply[]) {
  const calls: { url: string; method: string; headers: Record<string, string>; body?: string }[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, method: init.method, headers: init.headers, body: init.body });
    const reply = replies[Math.min(calls.length - 1, replies.length - 1)]!;
    if (reply instanceof Error) throw reply;
    const headers = new Map(Object.entries(reply.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    return { status: reply.status, headers: { get: (name: string) => headers.get(name.toLowerCase()) ?? null }, text: async () => reply.body ?? '' };
  };
  return { fetch, calls };
}

function netError(code: string, message = code): Error {
  return Object.assign(new Error(`request to http://x/ failed, reason: ${message}`), { code, type: 'system' });
}

function client(fetch: FetchLike, extra: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}) {
  const sleeps: number[] = [];
  const c = new HttpClient({ fetch, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5, ...extra });
  return { c, sleeps };
}

async function rejection(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    return error as HttpError;
  }
  throw new Error('expected the request to fail');
}

describe('HttpClient retries', () => {
  it('retries a 503 burst with exponential full-jitter backoff, then succeeds', async () => {
    const { fetch, calls } = scripted([{ status: 503 }, { status: 503 }, { status: 503 }, { status: 200, body: '[1]' }]);
    const { c, sleeps } = client(fetch, { backoffMs: 100 });
    const res = await c.request('GET', 'http://h/v2/samples');
    expect(res.json()).toEqual([1]);
    expect(calls).toHaveLength(4);
    // random() = 0.5 of a ceiling that doubles: 100, 200, 400.
    expect(sleeps).toEqual([50, 100, 200]);
  });

  it('caps the backoff ceiling at maxBackoffMs', async () => {
    const { fetch } = scripted([{ status: 502 }]);
    const { c, sleeps } = client(fetch, { backoffMs: 1000, maxBackoffMs: 3000, retries: 4, random: () => 0.999 });
    await rejection(c.request('GET', 'http://h/x'));
    expect(sleeps).toEqual([999, 1998, 2997, 2997]);
  });

  it('honours Retry-After in seconds and as an HTTP date, capped by maxBackoffMs', async () => {
    const now = Date.parse('2024-06-01T00:00:00Z');
    const { fetch } = scripted([
      { status: 429, headers: { 'Retry-After': '2' } },
      { status: 429, headers: { 'Retry-After': 'Sat, 01 Jun 2024 00:00:07 GMT' } },
      { status: 503, headers: { 'Retry-After': '3600' } },
      { status: 200, body: '{}' },
    ]);
    const { c, sleeps } = client(fetch, { now: () => now, maxBackoffMs: 10_000 });
    await c.request('GET', 'http://h/x');
    expect(sleeps).toEqual([2000, 7000, 10_000]);
  });

  it('gives up after `retries` more attempts, saying how many and what the server said', async () => {
    const body = JSON.stringify({ error_message: { faultcode: 'Server', faultstring: 'DB is down', debuginfo: null } });
    const { fetch, calls } = scripted([{ status: 500, body }]);
    const { c } = client(fetch, { retries: 2 });
    const error = await rejection(c.request('GET', 'http://h/v2/samples', { query: [['limit', '1']] }));
    expect(calls).toHaveLength(3);
    expect(error.message).toBe('GET http://h/v2/samples?limit=1 → 500 Internal Server Error: DB is down (3 attempts)');
    expect(error).toMatchObject({ method: 'GET', status: 500, detail: 'DB is down', attempts: 3 });
  });

  it('never retries other 4xx', async () => {
    for (const status of [400, 403, 404, 409, 410]) {
      const { fetch, calls } = scripted([{ status, body: '{"error_message": {"faultstring": "nope"}}' }]);
      const { c } = client(fetch);
      const error = await rejection(c.request('GET', 'http://h/x'));
      expect(calls).toHaveLength(1);
      expect(error.status).toBe(status);
      expect(error.message).not.toMatch(/attempts/);
    }
  });

  it('retries a 500 on a POST only when the caller says it is idempotent; 503 and 429 always', async () => {
    const post = scripted([{ status: 500 }, { status: 200, body: '{}' }]);
    await rejection(client(post.fetch).c.request('POST', 'http://h/x', { body: { a: 1 } }));
    expect(post.calls).toHaveLength(1);

    const read = scripted([{ status: 500 }, { status: 200, body: '{}' }]);
    await client(read.fetch).c.request('POST', 'http://h/v1/search/resource/generic', { body: {}, idempotent: true });
    expect(read.calls).toHaveLength(2);

    const busy = scripted([{ status: 503 }, { status: 429 }, { status: 201, body: '{}' }]);
    await client(busy.fetch).c.request('POST', 'http://h/x', { body: {} });
    expect(busy.calls).toHaveLength(3);
  });

  it('retries network errors on idempotent requests (a reused socket the server closed)', async () => {
    const { fetch, calls } = scripted([netError('ECONNRESET', 'socket hang up'), new Error('other side closed'), { status: 200, body: '[]' }]);
    const { c } = client(fetch);
    await c.request('GET', 'http://h/v1/resource/generic');
    expect(calls).toHaveLength(3);
  });

  it('does not retry a POST after the connection broke (it may have been processed), but does when it was refused', async () => {
    const reset = scripted([netError('ECONNRESET', 'socket hang up'), { status: 200, body: '{}' }]);
    const error = await rejection(client(reset.fetch).c.request('POST', 'http://h/x', { body: {} }));
    expect(reset.calls).toHaveLength(1);
    expect(error.message).toBe('POST http://h/x failed: ECONNRESET socket hang up (not retried: the request may have been processed)');
    expect(error.status).toBeUndefined();

    const refused = scripted([netError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9'), { status: 201, body: '{}' }]);
    await client(refused.fetch).c.request('POST', 'http://h/x', { body: {} });
    expect(refused.calls).toHaveLength(2);
  });

  it('does not retry what cannot get better (unknown host)', async () => {
    const { fetch, calls } = scripted([netError('ENOTFOUND', 'getaddrinfo ENOTFOUND nowhere.invalid')]);
    const error = await rejection(client(fetch).c.request('GET', 'http://nowhere.invalid/'));
    expect(calls).toHaveLength(1);
    expect(error.message).toBe('GET http://nowhere.invalid/ failed: getaddrinfo ENOTFOUND nowhere.invalid');
  });
});

describe('HttpClient auth', () => {
  it('on a 401 invalidates the credentials and retries once with fresh headers', async () => {
    const { fetch, calls } = scripted([{ status: 401 }, { status: 200, body: '[]' }]);
    let token = 0;
    let invalidated = 0;
    const auth = { headers: async () => ({ 'X-Auth-Token': `t${token}` }), invalidate: () => void (token++, invalidated++) };
    await client(fetch).c.request('GET', 'http://h/x', { auth });
    expect(invalidated).toBe(1);
    expect(calls.map((c) => c.headers['X-Auth-Token'])).toEqual(['t0', 't1']);
  });

  it('a second 401 is an error with the server message, and the token is not in it', async () => {
    const body = JSON.stringify({ error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
    const { fetch, calls } = scripted([{ status: 401, body, headers: { 'WWW-Authenticate': 'Keystone uri="http://ks"' } }]);
    const auth = { headers: async () => ({ 'X-Auth-Token': 'SECRET-TOKEN' }), invalidate: () => undefined };
    const error = await rejection(client(fetch).c.request('GET', 'http://h/x', { auth }));
    expect(calls).toHaveLength(2);
    expect(error.message).toBe('GET http://h/x → 401 Unauthorized: The request you have made requires authentication.');
    expect(JSON.stringify(error)).not.toContain('SECRET-TOKEN');
  });
});

describe('HttpClient requests', () => {
  it('sends query pairs in order with repeated keys, JSON bodies with a Content-Type, Accept JSON', async () => {
    const { fetch, calls } = scripted([{ status: 200, body: '{}' }]);
    await client(fetch).c.request('POST', 'http://h/v2/x?a=1', {
      query: [['q.field', 'project_id'], ['q.field', 'meter'], ['q.op', 'eq'], ['q.value', 'a b&c']],
      body: { filter: '{"=": {"x": 1}}' },
    });
    expect(calls[0]!.url).toBe('http://h/v2/x?a=1&q.field=project_id&q.field=meter&q.op=eq&q.value=a%20b%26c');
    expect(calls[0]!.headers).toMatchObject({ Accept: 'application/json', 'Content-Type': 'application/json' });
    expect(JSON.parse(calls[0]!.body!)).toEqual({ filter: '{"=": {"x": 1}}' });
  });

  it('accepts the statuses the caller lists', async () => {
    const { fetch } = scripted([{ status: 404, body: '{}' }]);
    expect((await client(fetch).c.request('GET', 'http://h/x', { okStatuses: [200, 404] })).status).toBe(404);
  });

  it('json() on a body that is not JSON names the method and URL', async () => {
    const { fetch } = scripted([{ status: 200, body: '<html>proxy login</html>' }]);
    const res = await client(fetch).c.request('GET', 'http://user:pw@h/v2/samples');
    let error: unknown;
    try {
      res.json();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TelemetryError);
    expect((error as Error).message).toBe("GET http://h/v2/samples → 200: the answer is not JSON (starts '<html>proxy login</html>')");
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const fetch: FetchLike = async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return { status: 200, headers: { get: () => null }, text: async () => '{}' };
    };
    const c = new HttpClient({ fetch, concurrency: 3 });
    await Promise.all(Array.from({ length: 20 }, () => c.request('GET', 'http://h/x')));
    expect(most).toBe(3);
  });

  it('times out a request whose fetch never settles, and retries it when idempotent', async () => {
    let calls = 0;
    const fetch: FetchLike = (_url, init) => {
      calls++;
      if (calls === 1) return new Promise(() => undefined); // ignores even the abort signal
      expect(init.signal).toBeDefined();
      return Promise.resolve({ status: 200, headers: { get: () => null }, text: async () => '"ok"' });
    };
    const { c } = client(fetch, { timeoutMs: 30 });
    expect((await c.request('GET', 'http://h/x')).json()).toBe('ok');
    expect(calls).toBe(2);

    const never: FetchLike = () => new Promise(() => undefined);
    const error = await rejection(client(never, { timeoutMs: 20, retries: 1 }).c.request('GET', 'http://h/slow'));
    expect(error.message).toBe('GET http://h/slow failed: timed out after 0.02 s (2 attempts)');
    const post = await rejection(client(never, { timeoutMs: 20 }).c.request('POST', 'http://h/slow', { body: {} }));
    expect(post.attempts).toBe(1);
  });

  it('fails with a ConfigError on an unreadable ca_file', () => {
    expect(() => new HttpClient({ caFile: '/nonexistent/ca.pem' })).toThrow(ConfigError);
    expect(() => new HttpClient({ caFile: '/nonexistent/ca.pem' })).toThrow(/\[telemetry\] ca_file/);
  });
});

describe('messages without secrets', () => {
  it('strips userinfo and secret-looking query values from URLs', () => {
    expect(safeUrl('https://admin:hunter2@ks.example:5000/v3?x=1&token=abc&os_password=p&q.value=y')).toBe(
      'https://ks.example:5000/v3?x=1&token=***&os_password=***&q.value=y',
    );
    expect(safeUrl('not a url //u:p@host?api_key=k')).toBe('not a url //host?api_key=***');
  });

  it('an error message never contains the password of a URL', async () => {
    const { fetch } = scripted([{ status: 500 }]);
    const error = await rejection(client(fetch, { retries: 0 }).c.request('GET', 'http://billing:hunter2@h/x?password=hunter2'));
    expect(error.message).not.toContain('hunter2');
    expect(error.url).toBe('http://h/x?password=***');
  });

  it('reads the detail of Ceilometer, Gnocchi, Keystone and webob error bodies, on one line', () => {
    expect(errorDetail('{"error_message": {"faultcode": "Client", "faultstring": "Limit must be positive", "debuginfo": null}}')).toBe('Limit must be positive');
    expect(errorDetail('{"error_message": "410 Gone\\n\\nThis telemetry installation is configured to use Gnocchi.  "}')).toBe(
      '410 Gone This telemetry installation is configured to use Gnocchi.',
    );
    expect(errorDetail('{"error_message": "<html><head><title>403</title></head><body><h1>403 Forbidden</h1>RBAC Authorization Failed</body></html>"}')).toBe(
      '403 Forbidden RBAC Authorization Failed',
    );
    expect(errorDetail('{"error_message": {"title": "Forbidden", "explanation": "Access was denied."}}')).toBe('Forbidden: Access was denied.');
    expect(errorDetail('{"code": 400, "description": "Invalid input: extra keys not allowed @ data[\'foo\']", "title": "Bad Request"}')).toBe(
      "Invalid input: extra keys not allowed @ data['foo']",
    );
    expect(errorDetail('{"code": 400, "description": {"cause": "Metrics not found", "reason": "Metrics can\'t be found", "detail": ["a", "b"]}}')).toBe(
      'Metrics not found: Metrics can\'t be found (["a","b"])',
    );
    expect(errorDetail('{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}')).toBe(
      'The request you have made requires authentication.',
    );
    expect(errorDetail('<html><body><h1>502 Bad Gateway</h1>\n<p>nginx</p></body></html>')).toBe('502 Bad Gateway nginx');
    expect(errorDetail('')).toBeUndefined();
  });

  it('parses Retry-After', () => {
    expect(parseRetryAfter('5', 0)).toBe(5000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:09 GMT', 1000)).toBe(8000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(null, 0)).toBeUndefined();
  });

  it('builds query strings in order', () => {
    expect(withQuery('http://h/x', [['a', '1'], ['a', '2']])).toBe('http://h/x?a=1&a=2');
    expect(withQuery('http://h/x', [])).toBe('http://h/x');
  });
});

describe('real sockets on 127.0.0.1 (node-fetch, keep-alive agent)', () => {
  let server: http.Server;
  let base: string;
  /** What the next requests do: 'ok', 'reset' (destroy the socket), 'hang', 'drop-reused' (a reused socket is found closed). */
  let plan: string[];
  let handled: { reused: boolean }[];
  const sockets = new WeakMap<object, number>();

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const n = sockets.get(req.socket) ?? 0;
      sockets.set(req.socket, n + 1);
      handled.push({ reused: n > 0 });
      const step = plan.shift() ?? 'ok';
      if (step === 'reset' || (step === 'drop-reused' && n > 0)) {
        req.socket.destroy();
        return;
      }
      if (step === 'hang') return;
      const body = JSON.stringify({ path: req.url });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  beforeEach(() => {
    plan = [];
    handled = [];
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('retries a GET whose reused keep-alive socket the server had closed (Gnocchi under uwsgi)', async () => {
    const c = new HttpClient({ sleep: async () => undefined, concurrency: 1 });
    try {
      await c.request('GET', `${base}/first`);
      plan = ['drop-reused'];
      const res = await c.request('GET', `${base}/second`);
      expect(res.json()).toEqual({ path: '/second' });
      expect(handled.map((h) => h.reused)).toEqual([false, true, false]);
    } finally {
      c.close();
    }
  });

  it('retries a GET on a reset connection; a POST fails with a one-line message', async () => {
    const c = new HttpClient({ sleep: async () => undefined });
    try {
      plan = ['reset', 'reset'];
      expect((await c.request('GET', `${base}/x`)).json()).toEqual({ path: '/x' });
      expect(handled).toHaveLength(3);
      plan = ['reset'];
      const error = await rejection(c.request('POST', `${base}/y`, { body: {} }));
      expect(error.message).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/y failed: ECONNRESET .*not retried/);
      expect(error.message).not.toMatch(/\n/);
    } finally {
      c.close();
    }
  });

  it('aborts a hung request after the timeout and retries it', async () => {
    const c = new HttpClient({ sleep: async () => undefined, timeoutMs: 150 });
    try {
      plan = ['hang'];
      const started = Date.now();
      expect((await c.request('GET', `${base}/slow`)).json()).toEqual({ path: '/slow' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect(handled).toHaveLength(2);
    } finally {
      c.close();
    }
  });

  it('reports a refused connection after its retries', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const sleeps: number[] = [];
    const c = new HttpClient({ sleep: async (ms) => void sleeps.push(ms), retries: 2 });
    try {
      const error = await rejection(c.request('GET', `http://127.0.0.1:${port}/v2/samples`));
      expect(error.message).toMatch(new RegExp(`^GET http://127\\.0\\.0\\.1:${port}/v2/samples failed: ECONNREFUSED .*\\(3 attempts\\)$`));
      expect(sleeps).toHaveLength(2);
    } finally {
      c.close();
    }
  });
});

/** A self-signed certificate for 127.0.0.1, made with openssl (skipped where there is none). */
function selfSigned(): { cert: string; key: string; certFile: string } | undefined {
  const dir = tempDir('artifice-tls-');
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile };
}

const tls = selfSigned();

(tls ? describe : describe.skip)('TLS: ca_file and insecure', () => {
  let server: https.Server;
  let base: string;
  beforeAll(async () => {
    server = https.createServer({ cert: tls!.cert, key: tls!.key }, (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"tls": true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    cleanTempDirs();
  });

  it('refuses a certificate it cannot verify, at once and saying why', async () => {
    const c = new HttpClient({ sleep: async () => undefined });
    try {
      const error = await rejection(c.request('GET', `${base}/v2`));
      expect(error.message).toMatch(/^GET https:\/\/127\.0\.0\.1:\d+\/v2 failed: .*self[- ]signed certificate/i);
      expect(error.attempts).toBe(1);
    } finally {
      c.close();
    }
  });

  it('trusts the CA of ca_file', async () => {
    const c = new HttpClient({ caFile: tls!.certFile });
    try {
      expect((await c.request('GET', `${base}/v2`)).json()).toEqual({ tls: true });
    } finally {
      c.close();
    }
  });

  it('skips verification only when told: insecure', async () => {
    const c = new HttpClient({ insecure: true });
    try {
      expect((await c.request('GET', `${base}/v2`)).json()).toEqual({ tls: true });
    } finally {
      c.close();
    }
  });
});

describe('redirects (two servers on 127.0.0.1, node-fetch)', () => {
  interface Seen { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }
  /** A server that answers each path from `routes` (default: 200 with what it received) and records every request. */
  async function server(routes: Record<string, (base: string) => { status: number; headers?: Record<string, string> }> = {}) {
    const seen: Seen[] = [];
    const s = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        const route = routes[req.url!.split('?')[0]!];
        const answer = route ? route(base) : { status: 200 };
        const text = JSON.stringify({ method: req.method, url: req.url, body });
        res.writeHead(answer.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...answer.headers });
        res.end(text);
      });
    });
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    const close = async () => {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    };
    return { base, seen, close };
  }

  const token = { headers: async () => ({ 'X-Auth-Token': 'secret-token' }), invalidate: () => undefined };
  let servers: { close(): Promise<void> }[] = [];
  let c: HttpClient;
  beforeEach(() => {
    c = new HttpClient({ sleep: async () => undefined });
  });
  afterEach(async () => {
    c.close();
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });

  it('never follows a redirect to another origin: nothing is sent there, and the error names that origin', async () => {
    const other = await server();
    const home = await server({ '/v2/samples': () => ({ status: 302, headers: { Location: `${other.base}/v2/samples?limit=1` } }) });
    servers = [home, other];
    const error = await rejection(c.request('GET', `${home.base}/v2/samples`, { query: [['limit', '1']], auth: token }));
    expect(error).toBeInstanceOf(TelemetryError);
    expect(error.message).toBe(
      `GET ${home.base}/v2/samples?limit=1 → 302 Found: a redirect to another origin, ${other.base}; not followed, as credentials are never sent to another server`,
    );
    expect(error.message).not.toContain('secret-token');
    expect(other.seen).toEqual([]);
    expect(home.seen).toHaveLength(1);
  });

  it('another port or scheme of the same host is another origin', async () => {
    const home = await server({
      '/port': (base) => ({ status: 307, headers: { Location: base.replace(/:\d+$/, ':1') + '/x' } }),
      '/scheme': (base) => ({ status: 308, headers: { Location: base.replace('http:', 'https:') + '/x' } }),
    });
    servers = [home];
    await expect(c.request('GET', `${home.base}/port`, { auth: token })).rejects.toThrow('a redirect to another origin, http://127.0.0.1:1;');
    await expect(c.request('GET', `${home.base}/scheme`, { auth: token })).rejects.toThrow(/a redirect to another origin, https:\/\/127\.0\.0\.1:\d+;/);
    expect(home.seen).toHaveLength(2);
  });

  it('follows a redirect on the same origin with the credentials, the method and the body (307), or as a GET (303)', async () => {
    const home = await server({
      '/old': () => ({ status: 307, headers: { Location: '/new?x=1' } }),
      '/form': (base) => ({ status: 303, headers: { Location: `${base}/result` } }),
    });
    servers = [home];
    const res = await c.request('POST', `${home.base}/old`, { body: { q: 1 }, auth: token, idempotent: true });
    expect(res.json()).toEqual({ method: 'POST', url: '/new?x=1', body: '{"q":1}' });
    expect(home.seen.map((s) => [s.method, s.url, s.headers['x-auth-token']])).toEqual([['POST', '/old', 'secret-token'], ['POST', '/new?x=1', 'secret-token']]);
    const after = await c.request('POST', `${home.base}/form`, { body: { q: 2 }, auth: token });
    expect(after.json()).toEqual({ method: 'GET', url: '/result', body: '' });
  });

  it('gives up after 5 redirects, and does not turn a POST into a GET on a 301 or 302', async () => {
    const home = await server({
      '/loop': () => ({ status: 302, headers: { Location: '/loop' } }),
      '/moved': () => ({ status: 301, headers: { Location: '/elsewhere' } }),
      '/nowhere': () => ({ status: 302 }),
    });
    servers = [home];
    await expect(c.request('GET', `${home.base}/loop`)).rejects.toThrow(`GET ${home.base}/loop → 302 Found: more than 5 redirects; the last one to ${home.base}/loop`);
    expect(home.seen).toHaveLength(6);
    await expect(c.request('POST', `${home.base}/moved`, { body: {} })).rejects.toThrow(`a 301 redirect of a POST to ${home.base}/elsewhere; not followed, as it would drop the request body`);
    await expect(c.request('GET', `${home.base}/nowhere`)).rejects.toThrow('→ 302 Found: a redirect without a Location header');
  });
});
