/**
 * The default transport of HttpClient (src/http/client.ts): one request over node:http(s) with
 * the client's keep-alive agent, the whole answer read into memory. It does what the client
 * needs of fetch and nothing else: no redirects (the client follows them by hand), no
 * decompression (nothing asks for it), an answer cut short is an error ("premature close"),
 * never a short body. Bytes that are not UTF-8 read as `\xNN` (src/model/text.ts).
 */
import http from 'node:http';
import https from 'node:https';
import { decodeUtf8, jsonEscape } from '../model/text.js';
import type { FetchLike } from './types.js';

type AgentFor = (url: URL) => http.Agent;

/** `get(name)` over node's lower-cased headers; repeated ones joined by `, ` as fetch's Headers does. */
function headersOf(res: http.IncomingMessage): { get(name: string): string | null } {
  return {
    get(name) {
      const value = res.headers[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

export const nodeHttp: FetchLike = (url, init) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error(`URL scheme "${target.protocol.slice(0, -1)}" is not supported`);
    const agent = typeof init.agent === 'function' ? (init.agent as AgentFor)(target) : (init.agent as http.Agent | undefined);
    const headers: Record<string, string> = { ...init.headers };
    if (init.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(init.body));
    const transport = target.protocol === 'https:' ? https : http;
    const request = transport.request(target, { method: init.method, headers, agent, signal: init.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('close', () => {
        if (!res.complete) reject(new Error('premature close: the connection closed before the whole answer was read'));
      });
      res.on('end', () => {
        const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: headersOf(res), text: async () => decodeUtf8(body, jsonEscape) });
      });
    });
    request.on('error', reject);
    request.end(init.body);
  });
