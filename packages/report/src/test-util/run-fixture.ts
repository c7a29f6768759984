import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LEDGER_FORMAT_VERSION, LedgerWriter, RunAggregator, billedDurationMs, isInitBilled, type LedgerDetail, type LedgerRecord } from '@zonesim/ledger';
import type { FaultWindow, ProvisionedEntry } from '../side-files.js';

/** 2026-01-01T12:00:00.250Z: after the INIT billing change, and not on a second boundary. */
export const RUN_T0 = Date.UTC(2026, 0, 1, 12, 0, 0) + 250;

/** A small seeded PRNG (mulberry32), so the fixture is the same on every run. */
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

/** What {@link writeRunFixture} wrote, for tests to count on their own. */
export interface RunFixture {
  dataDir: string;
  records: LedgerRecord[];
  provisioned: ProvisionedEntry[];
  faults: FaultWindow[];
}

const ZONES = ['az-a', 'az-b', 'az-c'];
const FUNCTIONS = [
  { name: 'checkout', perSecond: 3, memoryMb: 128, architecture: 'x86_64', packageType: 'Zip', runtime: 'nodejs22.x', invocationType: 'RequestResponse' },
  { name: 'thumbnail', perSecond: 1, memoryMb: 512, architecture: 'arm64', packageType: 'Image', runtime: 'provided.al2023', invocationType: 'RequestResponse' },
  { name: 'mailer', perSecond: 0.5, memoryMb: 256, architecture: 'x86_64', packageType: 'Zip', runtime: 'nodejs20.x', invocationType: 'Event' },
] as const;

/**
 * Writes a coordinator data directory for a run of `seconds` seconds with {@link LedgerWriter}:
 * three functions in three zones, every outcome, cold starts, async retries, a duplicate, a
 * zone-kill fault window (`f1`, az-b down from +20 s to +35 s) and an open-ended one (`f2` from
 * +50 s), and two provisioned-concurrency allocations (one still enabled at the end).
 *
 * With `detail`, the records go through a `RunAggregator` as a coordinator's ledger sends them
 * (only the sampled ones reach the files; the exact aggregate is saved unless `stop: false`, a
 * coordinator that died).
 */
export async function writeRunFixture(
  dataDir: string,
  options: { seconds?: number; seed?: number; maxFileBytes?: number; detail?: LedgerDetail; stop?: boolean } = {},
): Promise<RunFixture> {
  const seconds = options.seconds ?? 60;
  const rand = prng(options.seed ?? 7);
  const faults: FaultWindow[] = [
    { id: 'f1', action: 'kill-zone', target: 'az-b', startAt: RUN_T0 + 20_000, endAt: RUN_T0 + 35_000 },
    { id: 'f2', action: 'partition', target: { zone: 'az-c', from: 'coordinator' }, startAt: RUN_T0 + 50_000 },
  ];
  const provisioned: ProvisionedEntry[] = [
    { functionName: 'checkout', qualifier: 'live', memoryMb: 128, architecture: 'x86_64', count: 2, enabledAt: RUN_T0 - 30_000, disabledAt: RUN_T0 + 40_000 },
    { functionName: 'thumbnail', qualifier: 'prod', memoryMb: 512, architecture: 'arm64', count: 1, enabledAt: RUN_T0 + 10_000 },
  ];
  const activeFaults = (at: number) => faults.filter((f) => at >= f.startAt && at < (f.endAt ?? Infinity)).map((f) => f.id);
  const zoneDown = (zone: string, at: number) => zone === 'az-b' && at >= RUN_T0 + 20_000 && at < RUN_T0 + 35_000;
  const warm = new Set<string>();
  const records: LedgerRecord[] = [];
  let seq = 0;
  let rr = 0;

  const attempt = (fn: (typeof FUNCTIONS)[number], receivedAt: number, n: number, requestId: string, extra: Partial<LedgerRecord> = {}): LedgerRecord => {
    seq++;
    const base = {
      v: LEDGER_FORMAT_VERSION,
      requestId,
      attempt: n,
      functionName: fn.name,
      version: '$LATEST',
      invocationType: fn.invocationType,
      architecture: fn.architecture,
      packageType: fn.packageType,
      runtime: fn.runtime,
      memoryMb: fn.memoryMb,
      receivedAt,
      ...(activeFaults(receivedAt).length > 0 && { faultIds: activeFaults(receivedAt) }),
    } satisfies Partial<LedgerRecord>;
    // Every 11th checkout / thumbnail attempt is throttled before placement: no zone, never billed.
    if (fn.name !== 'mailer' && seq % 11 === 0) {
      return { ...base, respondedAt: receivedAt + 2, outcome: 'throttled', errorType: 'TooManyRequestsException', throttleReason: 'ReservedFunctionConcurrentInvocationLimitExceeded', billedMs: 0, ...extra } as LedgerRecord;
    }
    let zone = ZONES[rr++ % ZONES.length]!;
    if (zoneDown(zone, receivedAt)) zone = ZONES[rr++ % ZONES.length]!;
    if (zoneDown(zone, receivedAt)) zone = ZONES[rr++ % ZONES.length]!;
    // Environments by era: killing az-b at +20 s makes az-a and az-c scale out (cold again once),
    // and az-b comes back at +35 s with no environments.
    const era = receivedAt < RUN_T0 + 20_000 ? 0 : zone === 'az-b' ? (receivedAt < RUN_T0 + 35_000 ? 0 : 2) : 1;
    const key = `${fn.name}/${zone}@${era}`;
    // Every 5th checkout in az-a before +40 s lands on one of its provisioned environments.
    const provisioned = fn.name === 'checkout' && zone === 'az-a' && receivedAt < RUN_T0 + 40_000 && seq % 5 === 0;
    const cold = !provisioned && !warm.has(key);
    if (!provisioned) warm.add(key);
    const queuedAt = fn.invocationType === 'Event' ? receivedAt : undefined;
    const dispatchedAt = receivedAt + (queuedAt !== undefined ? 5 + Math.round(rand() * 20) : 1);
    const initMs = cold ? 150 + Math.round(rand() * 100) : undefined;
    const execStartAt = dispatchedAt + 1 + (initMs ?? 0);
    const durationMs = Math.round((20 + rand() * 100) * 100) / 100;
    const execEndAt = execStartAt + durationMs;
    const r: LedgerRecord = {
      ...base,
      zone,
      nodeId: `${zone}-node-1`,
      environmentId: `${fn.name}-${zone}-${provisioned ? 'pc' : era}`,
      cold,
      ...(provisioned && { provisioned: true }),
      ...(queuedAt !== undefined && { queuedAt }),
      dispatchedAt,
      ...(initMs !== undefined && { initStartAt: dispatchedAt + 1, initEndAt: dispatchedAt + 1 + initMs, initMs }),
      execStartAt,
      execEndAt,
      respondedAt: execEndAt + 2,
      outcome: 'success',
      durationMs,
      billedMs: 0,
      maxMemoryUsedMb: 60,
      ...extra,
    } as LedgerRecord;
    if (seq % 17 === 0) Object.assign(r, { outcome: 'function-error', errorType: 'Runtime.ExitError' });
    if (seq === 40) Object.assign(r, { outcome: 'lost' });
    if (seq === 41) {
      Object.assign(r, { outcome: 'service-error', errorType: 'ServiceException', durationMs: undefined, billedMs: 0 });
      delete r.durationMs;
      return r;
    }
    r.billedMs = billedDurationMs(r.durationMs!, r.initMs, { initBilled: isInitBilled(r) });
    return r;
  };

  for (let s = 0; s < seconds; s++) {
    for (const fn of FUNCTIONS) {
      const count = fn.perSecond >= 1 ? fn.perSecond : s % Math.round(1 / fn.perSecond) === 0 ? 1 : 0;
      for (let i = 0; i < count; i++) {
        const receivedAt = RUN_T0 + s * 1000 + Math.round(rand() * 900);
        const requestId = `req-${fn.name}-${s}-${i}`;
        const first = attempt(fn, receivedAt, 1, requestId);
        records.push(first);
        // Async events that fail inside a fault window are retried (Lambda: after about a minute; here 1.5 s).
        if (fn.invocationType === 'Event' && first.faultIds !== undefined) {
          first.outcome = 'function-error';
          first.errorType = 'Sandbox.Timedout';
          records.push(attempt(fn, first.respondedAt + 1500, 2, requestId));
        }
      }
    }
  }
  // A redelivery of an event that had already succeeded.
  const dup = records.find((r) => r.functionName === 'mailer' && r.outcome === 'success' && r.faultIds !== undefined);
  if (dup) records.push(attempt(FUNCTIONS[2], dup.respondedAt + 700, 2, dup.requestId, { duplicate: true }));

  // Written in the order attempts end, with a little jitter, as a busy coordinator would.
  const order = records.map((r) => ({ r, key: r.respondedAt + rand() * 300 })).sort((a, b) => a.key - b.key);
  const ledgerDir = join(dataDir, 'ledger');
  const aggregator = options.detail && new RunAggregator({ dir: ledgerDir, detail: options.detail });
  await aggregator?.start();
  const writer = new LedgerWriter({ dir: ledgerDir, ...(options.maxFileBytes !== undefined && { maxFileBytes: options.maxFileBytes }) });
  await writer.start();
  for (const { r } of order) {
    if (aggregator && !aggregator.add(r)) continue;
    if (!writer.append(r)) throw new Error('ledger writer refused a record');
  }
  await writer.close();
  if (options.stop !== false) aggregator?.stop();
  await writeFile(join(ledgerDir, 'provisioned.ndjson'), provisioned.map((p) => JSON.stringify(p) + '\n').join(''));
  await mkdir(dataDir, { recursive: true });
  await writeFile(join(dataDir, 'faults.ndjson'), faults.map((f) => JSON.stringify(f) + '\n').join(''));
  return { dataDir, records, provisioned, faults };
}
