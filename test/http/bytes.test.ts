/** What the HTTP client makes of an answer's bytes: invalid UTF-8 stays visible as \xNN, on real sockets. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpClient } from '../../src/http/index.js';

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
