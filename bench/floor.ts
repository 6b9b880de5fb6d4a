/**
 * The floor of a benchmark run: the requests artifice made (the synthetic server's log), made
 * again with the same number in flight and the same connection reuse, each body read and
 * `JSON.parse`d, nothing else. What no client of these APIs can go below on this machine.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';

interface Logged {
  m: string;
  u: string;
  b?: string;
}

function once(agent: http.Agent, base: URL, req: Logged): Promise<void> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (req.b !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(req.b));
    }
    const r = http.request({ host: base.hostname, port: base.port, method: req.m, path: req.u, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          JSON.parse(Buffer.concat(chunks).toString('utf8'));
          resolve();
        } catch (error) {
          reject(error);
        }
      });
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(req.b);
  });
}

/** Replays `logFile` against `baseUrl`, `concurrency` at a time; resolves to the wall time in ms and the count. */
export async function replay(logFile: string, baseUrl: string, options: { concurrency: number; keepAlive: boolean }): Promise<{ ms: number; requests: number }> {
  const base = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: options.keepAlive, maxSockets: options.concurrency });
  const logged = readFileSync(logFile, 'utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Logged);
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < logged.length) await once(agent, base, logged[next++]!);
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const ms = performance.now() - started;
  agent.destroy();
  return { ms, requests: logged.length };
}
