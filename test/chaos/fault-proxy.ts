/**
 * A fault-injecting reverse proxy on 127.0.0.1:0 in front of any fake (Keystone, Ceilometer,
 * Gnocchi, Odoo). It forwards every request to its upstream, and answers the requests a fault
 * matches in a way a real server, proxy or network can: an error status (with Retry-After), a
 * hang, a body that trickles, stops short or is not JSON, an HTML page, an empty or short page,
 * a 401 after revoking the tokens, a redirect to itself or to another origin, or an error that
 * echoes the request (body and headers), as careless servers do. Every request it sees is kept
 * (headers and body), so a test can tell whether a secret was sent where it should not go.
 */
import http from 'node:http';
import { closeNow, listenLocal } from '../fakes/listen.js';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type FaultKind =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'hang' }
  | { kind: 'reset' }
  /** The real answer, its body sent in `chunks` pieces `gapMs` apart. */
  | { kind: 'slow'; chunks: number; gapMs: number }
  /** The real answer cut to its first half, with a Content-Length that says so (HTTP is complete, JSON is not). */
  | { kind: 'truncate' }
  /** The real answer's full Content-Length announced, half of it sent, then the connection dropped. */
  | { kind: 'cut' }
  | { kind: 'invalid-json' }
  | { kind: 'html'; status: number }
  /** 200 with an empty JSON list. */
  | { kind: 'empty-page' }
  /** The real answer with the last half of its list (at least one element) dropped; headers kept. */
  | { kind: 'short-page' }
  /** `before()` runs (e.g. revoke every token), then the request is forwarded. */
  | { kind: 'before'; before: () => void }
  /** 307 to the same URL here, or to the same path at another origin. */
  | { kind: 'redirect'; to: 'same' | string; status?: number }
  /** An error answer whose body is the request: method, URL, headers and body (as JSON-RPC, an Odoo error in HTTP 200). */
  | { kind: 'echo'; status: number; jsonrpc?: boolean };

export interface Fault {
  fault: FaultKind;
  times: number;
  match: (req: SeenRequest, n: number) => boolean;
}

export class FaultProxy {
  readonly seen: SeenRequest[] = [];
  faults: Fault[] = [];
  url = '';
  /** Faults that were applied. */
  applied = 0;
  private server!: http.Server;
  private readonly hung = new Set<http.ServerResponse>();

  private constructor(public upstream: string) {}

  static async start(upstream: string): Promise<FaultProxy> {
    const proxy = new FaultProxy(upstream);
    proxy.server = http.createServer((req, res) => void proxy.handle(req, res));
    proxy.url = await listenLocal(proxy.server);
    return proxy;
  }

  /** Adds a fault for the next `times` matching requests (`Infinity`: all of them). */
  inject(fault: FaultKind, match: (req: SeenRequest, n: number) => boolean = () => true, times = 1): this {
    this.faults.push({ fault, match, times });
    return this;
  }

  reset(): void {
    this.faults = [];
    this.seen.length = 0;
    this.applied = 0;
    for (const res of this.hung) res.destroy();
    this.hung.clear();
  }

  async close(): Promise<void> {
    this.reset();
    await closeNow(this.server);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const seen: SeenRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    this.seen.push(seen);
    const found = this.faults.find((f) => f.times > 0 && f.match(seen, this.seen.length));
    const fault = found?.fault;
    if (found) {
      found.times--;
      this.applied++;
    }
    switch (fault?.kind) {
      case 'status':
        return void res.writeHead(fault.status, { 'Content-Type': 'application/json', ...fault.headers }).end(fault.body ?? JSON.stringify({ error: `injected ${fault.status}` }));
      case 'hang':
        this.hung.add(res);
        return;
      case 'reset':
        return void req.socket.destroy();
      case 'invalid-json':
        return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"samples": [{"id": "x", "volume": 1,,}');
      case 'html':
        return void res.writeHead(fault.status, { 'Content-Type': 'text/html' }).end('<html><head><title>Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>');
      case 'empty-page':
        return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('[]');
      case 'redirect': {
        const base = fault.to === 'same' ? this.url : fault.to;
        return void res.writeHead(fault.status ?? 307, { Location: `${base}${seen.url}`, 'Content-Length': '0' }).end();
      }
      case 'echo': {
        const request = JSON.stringify({ headers: seen.headers, body: seen.body });
        const echo = fault.jsonrpc
          ? { jsonrpc: '2.0', id: null, error: { code: 200, message: 'Odoo Server Error', data: { name: 'builtins.ValueError', message: `bad request ${request}`, debug: `Traceback …\nValueError: ${request}`, arguments: [request] } } }
          : { error: { code: fault.status, message: `cannot handle ${seen.method} ${seen.url}: ${request}`, request: { headers: seen.headers, body: seen.body } } };
        return void res.writeHead(fault.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(echo));
      }
      case 'before':
        fault.before();
        break;
    }
    const answer = await this.forward(seen).catch(() => undefined);
    if (!answer) return void req.socket.destroy();
    const headers = { ...answer.headers };
    delete headers['content-length'];
    delete headers['transfer-encoding'];
    delete headers.connection;
    let body = answer.body;
    if (fault?.kind === 'short-page') body = shortPage(body);
    if (fault?.kind === 'truncate') body = body.subarray(0, Math.floor(body.length / 2));
    if (fault?.kind === 'cut') {
      res.writeHead(answer.status, { ...headers, 'Content-Length': String(body.length) });
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      setTimeout(() => req.socket.destroy(), 20);
      return;
    }
    if (fault?.kind === 'slow') {
      res.writeHead(answer.status, { ...headers, 'Content-Length': String(body.length) });
      const size = Math.ceil(body.length / fault.chunks);
      for (let i = 0; i < body.length; i += size) {
        if (res.destroyed) return;
        res.write(body.subarray(i, i + size));
        await new Promise((r) => setTimeout(r, fault.gapMs));
      }
      return void res.end();
    }
    res.writeHead(answer.status, { ...headers, 'Content-Length': String(body.length) }).end(body);
  }

  private forward(seen: SeenRequest): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    const target = new URL(seen.url, this.upstream);
    // Transparent, like a reverse proxy that preserves Host: the server's links name the proxy.
    const headers = { ...seen.headers };
    return new Promise((resolve, reject) => {
      const out = http.request(target, { method: seen.method, headers, agent: false }, (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (c: Buffer) => parts.push(c));
        answer.on('end', () => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(parts) }));
        answer.on('error', reject);
      });
      out.on('error', reject);
      out.end(seen.body);
    });
  }
}

function shortPage(body: Buffer): Buffer {
  try {
    const list = JSON.parse(body.toString('utf8')) as unknown;
    if (!Array.isArray(list) || list.length === 0) return body;
    return Buffer.from(JSON.stringify(list.slice(0, Math.floor(list.length / 2))));
  } catch {
    return body;
  }
}
