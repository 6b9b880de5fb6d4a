/**
 * The one way tests build a Deps: complete, like processDeps(), with defaults safe for a test
 * (no output, not a terminal, no process signal handlers: a signal is whatever the test calls)
 * and any field overridden.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { DEFAULT_HEARTBEAT_MS, type Deps } from '../../src/deps.js';
import { openCollector } from '../../src/telemetry/open.js';

export function testDeps(fields: Partial<Deps> = {}): Deps {
  return {
    cwd: process.cwd(),
    env: {},
    now: () => new Date(),
    stdout: () => {},
    stderr: () => {},
    isTTY: false,
    stdoutIsTTY: false,
    readText: async (file) => readFileSync(file, 'utf8'),
    host: os.hostname(),
    pid: process.pid,
    openCollector,
    onSignal: () => () => {},
    heartbeatMs: DEFAULT_HEARTBEAT_MS,
    ...fields,
  };
}
