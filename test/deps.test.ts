/** src/deps.ts: the process's stdout and stderr redact the secrets of Deps.secrets. */
import { jest } from '@jest/globals';
import { processDeps } from '../src/deps.js';
import { REDACTED } from '../src/model/secrets.js';

describe('processDeps', () => {
  afterEach(() => jest.restoreAllMocks());

  it('writes stdout and stderr with every registered secret redacted', () => {
    const deps = processDeps();
    deps.secrets.add('token-0123456789');
    const written: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => written.push(String(chunk)) > 0);
    }
    deps.stdout('out token-0123456789\n');
    deps.stderr('err {"token":"token-0123456789"}\n');
    jest.restoreAllMocks();
    expect(written).toEqual([`out ${REDACTED}\n`, `err {"token":"${REDACTED}"}\n`]);
  });
});
