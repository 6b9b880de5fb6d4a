/**
 * Seeds a real Gnocchi (test/services/gnocchi-up.sh) for `npm run bench -- --gnocchi URL`:
 * N tenants × R `instance` resources (ids and projects of the synthetic cloud, bench/synthetic/model.ts),
 * each with a `vcpus` metric of the `billing-1h` policy holding a measure every hour from a
 * day before the benchmark month to its end. Done once: a Gnocchi that already holds the last
 * instance is taken as seeded. Then waits until metricd has processed every measure.
 */
import http from 'node:http';
import fetch from 'node-fetch';
import { MONTH, WINDOW_END, WINDOW_START, projectId, resourceId } from './synthetic/model.js';

const AUTH = { Authorization: `Basic ${Buffer.from('admin:').toString('base64')}`, Accept: 'application/json' };
const HOUR_MS = 3_600_000;
const FRESH = new http.Agent({ keepAlive: false });

/**
 * One request on its own connection (uwsgi's keep-alive sockets close without notice, which
 * a reused socket reports as a failed request on the next one: no agent reuse).
 */
async function call(method: string, url: string, body?: unknown, ok: number[] = [200, 201, 202, 204]): Promise<{ status: number; json(): Promise<unknown> }> {
  const headers: Record<string, string> = { ...AUTH, Connection: 'close', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) };
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), agent: FRESH });
  const text = await res.text();
  if (!ok.includes(res.status)) throw new Error(`${method} ${url} → ${res.status}: ${text.slice(0, 200)}`);
  return { status: res.status, json: async () => JSON.parse(text) as unknown };
}

/** Runs `jobs` with at most `n` at once. */
async function pool<T>(items: T[], n: number, job: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await job(items[next++]!);
  }));
}

function measures(): { timestamp: string; value: number }[] {
  const out: { timestamp: string; value: number }[] = [];
  for (let t = WINDOW_START / 1000 - 24 * HOUR_MS; t < WINDOW_END / 1000; t += HOUR_MS) out.push({ timestamp: new Date(t + 600_000).toISOString(), value: 1 });
  return out;
}

/** Seeds if needed; true when this call seeded. */
export async function seedGnocchi(base: string, tenants: number, resources: number): Promise<boolean> {
  const last = await call('GET', `${base}/v1/resource/instance/${resourceId(tenants - 1, resources - 1)}`, undefined, [200, 404]);
  if (last.status === 200) {
    await drained(base);
    return false;
  }
  const all = Array.from({ length: tenants * resources }, (_, k) => ({ tenant: Math.floor(k / resources), index: k % resources }));
  process.stderr.write(`seeding ${all.length} instances of ${MONTH.label} into ${base}…\n`);
  await pool(all, 4, async ({ tenant, index }) => {
    await call('POST', `${base}/v1/resource/instance`, {
      id: resourceId(tenant, index), project_id: projectId(tenant), user_id: projectId(tenant), display_name: `vm-${tenant}-${index}`,
      flavor_id: '2', flavor_name: 'm1.small', host: `compute-${(tenant + index) % 40}`, availability_zone: 'nova',
      started_at: new Date(WINDOW_START / 1000 - 30 * 24 * HOUR_MS).toISOString(),
      metrics: { vcpus: { archive_policy_name: 'billing-1h', unit: 'vcpu' } },
    }, [201, 409]);
  });
  const points = measures();
  const batches: typeof all[] = [];
  for (let k = 0; k < all.length; k += 50) batches.push(all.slice(k, k + 50));
  await pool(batches, 2, async (batch) => {
    const body = Object.fromEntries(batch.map(({ tenant, index }) => [resourceId(tenant, index), { vcpus: points }]));
    await call('POST', `${base}/v1/batch/resources/metrics/measures`, body);
  });
  await drained(base);
  return true;
}

/** Waits until metricd has no measure left to process (`GET /v1/status`). */
async function drained(base: string): Promise<void> {
  for (let waited = 0; ; waited += 5) {
    const status = (await (await call('GET', `${base}/v1/status`)).json()) as { storage?: { summary?: { measures?: number } } };
    const left = status.storage?.summary?.measures ?? 0;
    if (left === 0) return;
    if (waited % 60 === 0) process.stderr.write(`waiting for metricd: ${left} measures left\n`);
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
}
