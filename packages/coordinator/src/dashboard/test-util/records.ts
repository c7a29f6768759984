import type { LedgerRecord } from '@zonesim/ledger';

/** A ledger record for unit tests: a warm success in az-a unless overridden. */
export function record(overrides: Partial<LedgerRecord> = {}): LedgerRecord {
  return {
    v: 1,
    requestId: 'r-1',
    attempt: 1,
    functionName: 'fn',
    version: '$LATEST',
    invocationType: 'RequestResponse',
    architecture: 'x86_64',
    packageType: 'Zip',
    runtime: 'nodejs20.x',
    receivedAt: 1_000,
    dispatchedAt: 1_001,
    execStartAt: 1_002,
    execEndAt: 1_012,
    respondedAt: 1_014,
    outcome: 'success',
    zone: 'az-a',
    nodeId: 'az-a-node-1',
    environmentId: 'env-1',
    cold: false,
    durationMs: 10,
    billedMs: 10,
    memoryMb: 128,
    maxMemoryUsedMb: 60,
    ...overrides,
  };
}
