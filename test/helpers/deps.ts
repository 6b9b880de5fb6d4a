/**
 * The one way tests build a Deps: complete, like processDeps(), with defaults safe for a test
 * (no output, not a terminal, no process signal handlers: a signal is whatever the test calls)
 * and any field overridden. As in processDeps(), stdout and stderr (given or not) redact the
 * secrets of `secrets` (its own Secrets unless one is given).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { DEFAULT_HEARTBEAT_MS, redacting, type Deps } from '../../src/deps.js';
import { Secrets } from '../../src/model/secrets.js';
import { openCollector } from '../../src/telemetry/open.js';

export function testDeps(fields: Partial<Deps> = {}): Deps {
  const secrets = fields.secrets ?? new Secrets();
  return {
    cwd: process.cwd(),
    env: {},
    now: () => new Date(),
    isTTY: false,
    stdoutIsTTY: false,
    readText: async (file) => readFileSync(file, 'utf8'),
    host: os.hostname(),
    pid: process.pid,
    openCollector,
    onSignal: () => () => {},
    heartbeatMs: DEFAULT_HEARTBEAT_MS,
    ...fields,
    secrets,
    stdout: redacting(secrets, fields.stdout ?? (() => {})),
    stderr: redacting(secrets, fields.stderr ?? (() => {})),
  };
}
