import { LEDGER_FORMAT_VERSION, type LedgerRecord } from '../record.js';

/** 2026-01-01T00:00:00Z: after the August 2025 INIT billing change. */
export const T0 = Date.UTC(2026, 0, 1);

let seq = 0;

/** A valid, warm, successful 128 MB x86_64 Zip nodejs attempt of 100 ms; override what a test needs. */
export function makeRecord(overrides: Partial<LedgerRecord> = {}): LedgerRecord {
  seq++;
  return {
    v: LEDGER_FORMAT_VERSION,
    requestId: `req-${seq}`,
    attempt: 1,
    functionName: 'fn',
    version: '$LATEST',
    invocationType: 'RequestResponse',
    zone: 'az1',
    nodeId: 'node-1',
    environmentId: 'env-1',
    cold: false,
    architecture: 'x86_64',
    packageType: 'Zip',
    runtime: 'nodejs22.x',
    receivedAt: T0,
    dispatchedAt: T0 + 1,
    execStartAt: T0 + 2,
    execEndAt: T0 + 102,
    respondedAt: T0 + 104,
    outcome: 'success',
    durationMs: 100,
    billedMs: 100,
    memoryMb: 128,
    maxMemoryUsedMb: 64,
    ...overrides,
  };
}

/** A small seeded PRNG (mulberry32), so property-style tests are repeatable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Money comparison: the library computes in integers, so results are exact up to the final
 * conversion to a float; 1e-15 USD is far below any price step (the smallest is 3.09e-8 per GB-s).
 */
export function close(t: { ok(value: boolean, message: string): unknown }, actual: number, expected: number, msg: string): void {
  t.ok(Math.abs(actual - expected) < 1e-15, `${msg}: ${actual} ~ ${expected}`);
}
