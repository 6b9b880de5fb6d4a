/**
 * What the tests of src/billing/ share: a cloud of three tenants and its config, real ledger
 * files, an adapter that records what billing did with it, a collector with a hook, and the
 * BillingContext of a run.
 */
import { readFileSync } from 'node:fs';
import type { BillingContext } from '../../src/billing/bill.js';
import { loadConfig, type Config } from '../../src/config.js';
import { DEFAULT_HEARTBEAT_MS } from '../../src/deps.js';
import { Decimal } from '../../src/model/decimal.js';
import { Secrets } from '../../src/model/secrets.js';
import type { InvoiceClass, InvoiceContext } from '../../src/invoice/contract.js';
import { Ledger, type Owner } from '../../src/ledger.js';
import { monthWindow } from '../../src/period.js';
import type { Collector } from '../../src/telemetry/contract.js';
import { FileCollector } from '../../src/telemetry/file.js';
import type { Outcome } from '../../src/model/outcome.js';
import { AFTER_MAY, plan, writeCloud, type Cloud } from '../operator/fixture.js';
import type { InvoiceLine, Sample, SampleQuery, Tenant } from '../../src/model/types.js';

export const MAY = monthWindow({ year: 2024, month: 5 }, 'UTC');

/** An adapter that records what billing did with it; `onCost`/`onCommit` hook into the life cycle. */
export function recordingAdapter(hooks: { onCost?: () => void; onSection?: () => void; onCommit?: (context: InvoiceContext) => void } = {}) {
  const commits: string[] = [];
  class Recording {
    lines: InvoiceLine[] = [];
    constructor(readonly tenant: Tenant, readonly config: Record<string, string>, readonly context: InvoiceContext) {}
    cost(): Decimal {
      hooks.onCost?.();
      return new Decimal('0.01');
    }
    addSection(): void {
      hooks.onSection?.();
    }
    addLine(line: InvoiceLine): void {
      this.lines.push(line);
    }
    async commit(): Promise<string> {
      hooks.onCommit?.(this.context);
      commits.push(this.context.billId);
      return `ref-${this.context.billId}`;
    }
  }
  return { Adapter: Recording as unknown as InvoiceClass, commits };
}

/** The file collector with a hook before each samples() query. */
export function hookedCollector(config: Config, before: (query: SampleQuery) => Promise<void> | void): Collector {
  const inner = new FileCollector(config.telemetry.file!, { region: config.telemetry.region });
  return {
    description: 'hooked',
    tenants: (s, e) => inner.tenants(s, e),
    close: () => inner.close(),
    samples: async (query): Promise<Sample[]> => {
      await before(query);
      return inner.samples(query);
    },
  };
}

export const me = (runId = 'run-me'): Owner => ({ host: 'this-host', pid: process.pid, runId });

/** The error of a failed outcome (undefined otherwise, so a matcher on it fails). */
export const errorOf = (o: Outcome): string | undefined => (o.status === 'failed' ? o.error : undefined);
/** Why an outcome was skipped (undefined otherwise, so a matcher on it fails). */
export const reasonOf = (o: Outcome): string | undefined => (o.status === 'skipped' ? o.reason : undefined);

export interface BillingFixture {
  readonly cloud: Cloud;
  readonly config: Config;
  /** A ledger on the cloud's database, closed after the test. */
  open(options?: Parameters<typeof Ledger.open>[1]): Ledger;
  context(fields: Partial<BillingContext> & Pick<BillingContext, 'collector' | 'Adapter' | 'ledger'>): BillingContext;
}

/** A fresh cloud and config before each test of the calling file; the ledgers it opened closed after. */
export function billingFixture(): BillingFixture {
  let cloud: Cloud | undefined;
  let config: Config | undefined;
  const opened: Ledger[] = [];
  beforeEach(async () => {
    cloud = writeCloud(plan(3));
    config = await loadConfig({ flag: cloud.ini, env: {}, cwd: cloud.dir }, async (file) => readFileSync(file, 'utf8'));
  });
  afterEach(async () => {
    for (const ledger of opened.splice(0)) await ledger.close();
  });
  return {
    get cloud() {
      return cloud!;
    },
    get config() {
      return config!;
    },
    open(options) {
      const ledger = Ledger.open(cloud!.database, options);
      opened.push(ledger);
      return ledger;
    },
    context(fields) {
      return { config: config!, owner: me(), now: () => AFTER_MAY, dryRun: false, heartbeatMs: DEFAULT_HEARTBEAT_MS, secrets: new Secrets(), ...fields };
    },
  };
}
