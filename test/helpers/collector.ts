/** A collector for tests that go through the CLI. */
import type { Config } from '../../src/config.js';
import type { Collector } from '../../src/telemetry/contract.js';
import { FileCollector } from '../../src/telemetry/file.js';

/** The file collector, with a hook on every samples() query (and a few yields, so workers interleave). */
export function hookedFileCollector(hook: (projectId: string, phase: 'start' | 'end') => void) {
  return async (config: Config): Promise<Collector> => {
    const inner = new FileCollector(config.telemetry.file!, { region: config.telemetry.region });
    return {
      description: inner.description,
      prepare: () => inner.prepare(),
      tenants: (s, e) => inner.tenants(s, e),
      close: () => inner.close(),
      samples: async (query) => {
        hook(query.projectId, 'start');
        for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
        try {
          return await inner.samples(query);
        } finally {
          hook(query.projectId, 'end');
        }
      },
    };
  };
}
