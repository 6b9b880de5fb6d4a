/**
 * The benchmark's synthetic telemetry server, its own process on 127.0.0.1:
 *
 *   node dist/bench/synthetic/server.js --tenants N --resources R [--interval S] [--latency MS] [--log FILE]
 *
 * It serves the Ceilometer v2 shape under /v2 and the Gnocchi v1 shape under /v1, answering from
 * the generated month (model.ts) without holding it, each answer after `latency` ms. It prints
 * its base URL (`http://127.0.0.1:PORT`) as its first line on stdout. With `--log`, each request
 * is appended to FILE as one JSON line `{"m", "u", "b"}` (method, path and query, body) so that
 * the floor can replay exactly the same requests.
 *
 * Control: `GET /__bench/stats` → `{"requests", "samples", "bytes"}` since the last
 * `POST /__bench/reset`; `POST /__bench/log?on=0|1` stops or resumes the log.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import http from 'node:http';
import { CeilometerShape } from './ceilometer.js';
import { GnocchiShape, json } from './gnocchi.js';
import type { Cloud } from './model.js';

export interface Ask {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  host: string;
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  /** Written in order (large answers are built in pieces). */
  body: string[];
}

interface Options extends Cloud {
  latency: number;
  log?: string;
  port: number;
}

export function parseArgs(argv: string[]): Options {
  const value = (name: string, fallback?: number): number => {
    const i = argv.indexOf(`--${name}`);
    const n = i < 0 ? fallback : Number(argv[i + 1]);
    if (n === undefined || !Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number ≥ 0`);
    return n;
  };
  const log = argv.indexOf('--log');
  return {
    tenants: value('tenants', 100), resources: value('resources', 20), interval: value('interval', 3600), latency: value('latency', 0),
    port: value('port', 0), log: log < 0 ? undefined : argv[log + 1],
  };
}

export function startServer(options: Options): Promise<http.Server> {
  const stats = { requests: 0, samples: 0, bytes: 0 };
  const count = (n: number) => void (stats.samples += n);
  const gnocchi = new GnocchiShape(options, count);
  const ceilometer = new CeilometerShape(options, count);
  let log: WriteStream | undefined = options.log ? createWriteStream(options.log, { flags: 'a' }) : undefined;
  let logging = log !== undefined;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname.startsWith('/__bench/')) return control(url, res);
      stats.requests++;
      if (logging) log!.write(`${JSON.stringify({ m: req.method, u: req.url, b: raw === '' ? undefined : raw })}\n`);
      let body: unknown;
      try {
        body = raw === '' ? undefined : JSON.parse(raw);
      } catch {
        return send(res, json(400, { code: 400, title: 'Bad Request', description: 'Unable to decode body' }));
      }
      const ask: Ask = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body, host: req.headers.host ?? '127.0.0.1' };
      const answer = ask.path.startsWith('/v2/') ? ceilometer.handle(ask) : gnocchi.handle(ask);
      if (options.latency > 0) setTimeout(() => send(res, answer), options.latency);
      else send(res, answer);
    });
  });

  function send(res: http.ServerResponse, answer: Answer): void {
    const length = answer.body.reduce((n, part) => n + Buffer.byteLength(part), 0);
    stats.bytes += length;
    res.writeHead(answer.status, { ...answer.headers, 'Content-Length': String(length) });
    for (const part of answer.body) res.write(part);
    res.end();
  }

  function control(url: URL, res: http.ServerResponse): void {
    if (url.pathname === '/__bench/reset') Object.assign(stats, { requests: 0, samples: 0, bytes: 0 });
    if (url.pathname === '/__bench/log') {
      logging = url.searchParams.get('on') === '1' && log !== undefined;
      if (!logging && log) {
        // Closing flushes the file; the runner reads it once this answer arrives.
        const closing = log;
        log = undefined;
        closing.end(() => send(res, json(200, stats)));
        return;
      }
    }
    send(res, json(200, stats));
  }

  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => server.listen(options.port, '127.0.0.1', () => resolve(server)));
}

