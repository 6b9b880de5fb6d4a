/** What the HTTP client makes of an answer's bytes: kept as sent until the text is read; invalid UTF-8 stays visible as \xNN, on real sockets. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpClient, type FetchLike } from '../../src/http/index.js';

let server: http.Server;
let base: string;
beforeAll(async () => {
  server = http.createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    // {"projects":[{"name":"caf<0xE9>"},{"name":"東京"}]}: a Latin-1 name beside a UTF-8 one.
    res.end(Buffer.concat([Buffer.from('{"projects":[{"name":"caf'), Buffer.from([0xe9]), Buffer.from('"},{"name":"東京"}]}')]));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

it('an answer with a name that is not UTF-8 reads it with \\xNN, and UTF-8 names as they are', async () => {
  const client = new HttpClient({ retries: 0 });
  try {
    const res = await client.request('GET', `${base}/v3/projects`);
    expect(res.json()).toEqual({ projects: [{ name: 'caf\\xe9' }, { name: '東京' }] });
  } finally {
    client.close();
  }
});

it('with keepBytes, the bytes of an answer are as sent, and its text is decoded only when read', async () => {
  const client = new HttpClient({ retries: 0 });
  try {
    const res = await client.request('GET', `${base}/v3/projects`, { keepBytes: true });
    expect(res.bytes().subarray(23, 26)).toEqual(Buffer.from([0x61, 0x66, 0xe9]));
    expect(res.text).toBe('{"projects":[{"name":"caf\\\\xe9"},{"name":"東京"}]}');
    // Once decoded, the bytes asked for are the text's.
    expect(res.bytes().toString('utf8')).toBe(res.text);
    // Without it, the text is decoded as the answer arrives: its bytes are the text's.
    const decoded = await client.request('GET', `${base}/v3/projects`);
    expect(decoded.bytes().toString('utf8')).toBe(res.text);
  } finally {
    client.close();
  }
});

it('a fetch that gives bytes is read by them, never by text()', async () => {
  const fetch: FetchLike = async () => ({
    status: 200,
    headers: { get: () => null },
    text: () => Promise.reject(new Error('text() must not be called when bytes() is there')),
    // A view into a larger buffer, as a fetch may give: only its own bytes are the answer.
    bytes: async () => {
      const whole = new TextEncoder().encode('xx{"a":"\u00e9"}yy');
      return new Uint8Array(whole.buffer, 2, whole.length - 4);
    },
  });
  const client = new HttpClient({ retries: 0, fetch });
  const res = await client.request('GET', 'http://127.0.0.1:1/x');
  expect([res.bytes().length, res.json()]).toEqual([10, { a: 'é' }]);
});

it('a fetch that gives only text answers bytes as its UTF-8', async () => {
  const fetch: FetchLike = async () => ({ status: 200, headers: { get: () => null }, text: async () => '{"a":"東"}' });
  const res = await new HttpClient({ retries: 0, fetch }).request('GET', 'http://127.0.0.1:1/x');
  expect(res.bytes()).toEqual(Buffer.from('{"a":"東"}', 'utf8'));
});
