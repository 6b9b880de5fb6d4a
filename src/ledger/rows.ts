/** Row shapes of the ledger's tables and their mapping to the plain data of ./types.ts. */
import { Decimal } from '../model/decimal.js';
import type { Bill, BillStatus, Owner, Run, RunStatus, StoredLine, StoredUsage } from './types.js';
import type { Gap, LineBasis } from '../model/types.js';

export interface BillRow {
  id: string;
  tenant: string;
  tenant_name: string | null;
  start_us: number;
  end_us: number;
  status: BillStatus;
  revision: number;
  owner: string | null;
  claimed_at: string | null;
  heartbeat_at: string | null;
  committed_at: string | null;
  reference: string | null;
  total: string | null;
  currency: string | null;
  error: string | null;
  void_reason: string | null;
  voided_by: string | null;
  voided_at: string | null;
  created_at: string;
}

export interface UsageRow {
  bill_id: string;
  meter: string;
  resource_id: string;
  service: string;
  datacenter: string;
  quantity: string;
  unit: string;
  samples: number;
  first_sample_us: number | null;
  last_sample_us: number | null;
  gaps: string;
}

export interface LineRow {
  bill_id: string;
  position: number;
  datacenter: string;
  name: string;
  quantity: string;
  unit: string;
  rate: string;
  amount: string;
  period_start_us: number | null;
  period_end_us: number | null;
  basis: string | null;
}

export interface RunRow {
  id: string;
  command: string;
  args: string;
  host: string;
  pid: number;
  started_at: string;
  finished_at: string | null;
  status: RunStatus;
  summary: string | null;
  errors: string;
}

export function toBill(row: BillRow): Bill {
  return {
    id: row.id,
    tenant: row.tenant,
    tenantName: row.tenant_name,
    start: row.start_us,
    end: row.end_us,
    status: row.status,
    revision: row.revision,
    owner: row.owner === null ? null : (JSON.parse(row.owner) as Owner),
    claimedAt: row.claimed_at,
    heartbeatAt: row.heartbeat_at,
    committedAt: row.committed_at,
    reference: row.reference,
    total: row.total,
    currency: row.currency,
    error: row.error,
    voidReason: row.void_reason,
    voidedBy: row.voided_by,
    voidedAt: row.voided_at,
    createdAt: row.created_at,
  };
}

export function toRun(row: RunRow): Run {
  return {
    id: row.id,
    command: row.command,
    args: JSON.parse(row.args) as string[],
    host: row.host,
    pid: row.pid,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    status: row.status,
    summary: row.summary === null ? null : (JSON.parse(row.summary) as unknown),
    errors: JSON.parse(row.errors) as Run['errors'],
  };
}

/** Plain decimal text: Decimal#toString would switch to exponents for tiny or huge values. */
export function decimalText(value: Decimal): string {
  return new Decimal(value).toFixed();
}

export function toUsage(r: UsageRow): StoredUsage {
  return {
    billId: r.bill_id,
    meter: r.meter,
    resourceId: r.resource_id,
    service: r.service,
    datacenter: r.datacenter,
    quantity: new Decimal(r.quantity),
    unit: r.unit,
    samples: r.samples,
    firstSample: r.first_sample_us,
    lastSample: r.last_sample_us,
    gaps: JSON.parse(r.gaps) as Gap[],
  };
}

export function toLine(r: LineRow): StoredLine {
  return {
    billId: r.bill_id,
    position: r.position,
    datacenter: r.datacenter,
    name: r.name,
    quantity: new Decimal(r.quantity),
    unit: r.unit,
    rate: new Decimal(r.rate),
    amount: new Decimal(r.amount),
    ...(r.period_start_us !== null && r.period_end_us !== null ? { period: { start: r.period_start_us, end: r.period_end_us } } : {}),
    ...(r.basis !== null ? { basis: JSON.parse(r.basis) as LineBasis } : {}),
  };
}
