export interface RealOptions { url: string; tenants: number; resources: number; concurrency?: number; httpConcurrency?: number }
export async function realGnocchiBench(_o: RealOptions): Promise<Record<string, unknown>> { throw new Error('not yet'); }
export function printReal(_r: Record<string, unknown>): void {}
