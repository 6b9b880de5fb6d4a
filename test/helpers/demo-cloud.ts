/** The demo month as a cloud serves it: the samples of config/demo as the fake Ceilometer's raw samples, and the demo's projects for the fake Keystone. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { RawSample } from '../fakes/ceilometer-server.js';
import type { FakeProject } from '../fakes/keystone-server.js';
import { ACME, DEMO_SAMPLES, GLOBEX, INITECH } from './cli.js';

/** Every sample of config/demo/samples.ndjson.gz (blank and `#` lines dropped). */
export function demoSamples(): RawSample[] {
  return gunzipSync(readFileSync(DEMO_SAMPLES))
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => JSON.parse(line) as RawSample);
}

/** The billing project `admin` (id `admin`) and the demo's three tenants, in the Default domain. */
export function demoProjects(admin: string): FakeProject[] {
  return [
    { id: admin, name: 'admin', domain_id: 'default' },
    { id: ACME, name: 'acme-webshop', domain_id: 'default' },
    { id: GLOBEX, name: 'globex-research', domain_id: 'default' },
    { id: INITECH, name: 'initech-labs', domain_id: 'default' },
  ];
}
