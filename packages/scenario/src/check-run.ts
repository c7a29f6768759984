import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatLedgerDetail, readLedger, readLedgerDetailFile } from '@zonesim/ledger';
import { faultSchedule } from './fault-schedule.js';
import { readAsyncFinal, readFaultRecords, readHistory, readQueueMessages, readRunInfo, readZoneTransitions, type NdjsonReadStats } from './ndjson.js';
import { DETECTABLE_ACTIONS, GRAY_ACTIONS, defaultSettleMs } from './resolve-hypotheses.js';
import { RunFile, type AsyncFinal, type FaultRecord, type RunInfo, type ZoneTransition } from './run-files.js';
import type { FaultAction, ResolvedScenario } from './types.js';
import { AvailabilityAccumulator, DEFAULT_SLO, type Availability } from './availability.js';
import { scenarioWindows, standardWindows, WindowAccumulator, WindowClassifier, type FaultWindow, type WindowSpec, type WindowStats } from './window-stats.js';

/** Most ids listed per category (lost, duplicates...); counts are always complete. */
export const MAX_LISTED_IDS = 1000;

/** Options of {@link checkRun}. */
export interface CheckRunOptions {
  /** The scenario that was run: gives the warm-up, the settle time, the hypotheses' windows, and fault windows if faults.ndjson is missing. */
  scenario?: ResolvedScenario;
  /** Extra windows to compute. */
  windows?: WindowSpec[];
  signal?: AbortSignal;
}

/** Counts of operations of one invocation type. */
export interface OpCounts {
  ok: number;
  fail: number;
  unknown: number;
  functionErrors: number;
  throttles: number;
}

/**
 * What became of every async event the platform accepted (202): exactly one of delivered
 * (a successful attempt), delivered with a function error (the final attempt failed in the
 * function, and the event is neither dead-lettered nor pending), dead-lettered, still pending,
 * or lost (none of these: the platform said yes and then forgot it).
 */
export interface EventAccount {
  accepted: number;
  delivered: number;
  deliveredWithError: number;
  deadLettered: number;
  pending: number;
  lost: number;
  /** Up to {@link MAX_LISTED_IDS}. */
  lostIds: string[];
  deadLetterIds: string[];
  pendingIds: string[];
  /** Accepted ops without a request id: they cannot be followed. */
  withoutRequestId: number;
}

/**
 * What became of every message the runner sent to a queue (a SendMessage answered 200 with a
 * MessageId): exactly one of processed (a consumer deleted it: an event source mapping's
 * invocation succeeded for it), dead-lettered (moved to its dead-letter queue after
 * maxReceiveCount), still queued (visible, in flight or delayed at the end), or lost (expired,
 * purged, or unknown to the queue service: the platform said yes and then forgot it).
 */
export interface MessageAccount {
  sent: number;
  processed: number;
  deadLettered: number;
  queued: number;
  lost: number;
  /** Messages delivered again after an earlier delivery that may have been processed. */
  duplicated: number;
  /** Up to {@link MAX_LISTED_IDS}. */
  lostIds: string[];
  deadLetterIds: string[];
  queuedIds: string[];
  /** Sent ops answered 200 without a MessageId: they cannot be followed. */
  withoutMessageId: number;
}

/** Time from a fault to the coordinator marking its zone (or node) down. */
export interface Detection {
  faultId: string;
  action: string;
  zone?: string;
  nodeId?: string;
  startAt: number;
  detectedAt?: number;
  detectionMs?: number;
  /**
   * Epoch ms the target was marked down before the fault began, when it was still down then (for
   * another reason: a false suspicion, an earlier fault): its detection cannot be measured.
   */
  alreadyDownAt?: number;
}

/** Everything {@link checkRun} found. */
export interface CheckResult {
  dir: string;
  run?: RunInfo;
  /** Epoch ms of t = 0 (run.json, or the earliest intended send time). */
  t0: number;
  /** Operations judged from here on (t0 + warm-up). */
  judgedFrom: number;
  ops: { total: number; sync: OpCounts; async: OpCounts; queue: OpCounts };
  events: EventAccount;
  /** Messages sent to queues (workload entries with `queue:`). */
  messages: MessageAccount;
  /** Async events and queue messages delivered more than once (`messages`: how many of them are messages). */
  duplicates: { count: number; ids: string[]; flaggedRecords: number; messages: number };
  /** `all`, `steady`, `faults` and any requested window. */
  windows: Record<string, WindowStats>;
  byFunction: Record<string, WindowStats>;
  faults: Array<FaultRecord & { stats: WindowStats }>;
  detection: Detection[];
  ledger: { present: boolean; records: number; truncatedLines: number; unmatchedEventRecords: number };
  asyncFinal: { present: boolean; deadLetters: number; pending: number };
  queueFinal: { present: boolean; records: number };
  reads: { history: NdjsonReadStats; faults: NdjsonReadStats; zones: NdjsonReadStats };
  /** Success ratio, nines, error budget and goodput, overall and per function, and each fault as an incident (issue 18). */
  availability: Availability;
  /** Things that do not add up (accepted twice, missing files...). */
  anomalies: string[];
}

// Per-event state packed in one number: successes (8 bits), highest attempt (16 bits), final
// attempt was a function error (1 bit). A map of numbers keeps a million events in ~100 MB.
const SUCCESS_MASK = 0xff;
const ATTEMPT_SHIFT = 8;
const ATTEMPT_MASK = 0xffff;
const FE_BIT = 1 << 24;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

const emptyCounts = (): OpCounts => ({ ok: 0, fail: 0, unknown: 0, functionErrors: 0, throttles: 0 });
const pushCapped = (list: string[], id: string): void => {
  if (list.length < MAX_LISTED_IDS) list.push(id);
};

/**
 * Checks a run directory, Jepsen-style: streams `history.ndjson`, the coordinator's ledger
 * (`ledger/`, through @zonesim/ledger's `readLedger`) and `async-final.json`, and accounts for
 * every operation and every accepted event; computes per-window and per-fault statistics and
 * detection times. Memory: one small entry per accepted async event, plus the (small) fault and
 * zone files; the history and ledger are streamed.
 */
export async function checkRun(dir: string, options: CheckRunOptions = {}): Promise<CheckResult> {
  const { scenario, signal } = options;
  const anomalies: string[] = [];
  const reads = { history: { records: 0, truncatedLines: 0 }, faults: { records: 0, truncatedLines: 0 }, zones: { records: 0, truncatedLines: 0 } };
  const historyFile = join(dir, RunFile.History);
  const run = (await exists(join(dir, RunFile.Run))) ? await readRunInfo(join(dir, RunFile.Run)) : undefined;
  let t0 = run?.t0;
  if (t0 === undefined) {
    // No run.json: t = 0 is the earliest intended send (one extra streaming pass).
    anomalies.push(`${RunFile.Run} is missing: t0 taken from the earliest intended send time`);
    for await (const op of readHistory(historyFile, { ...(signal && { signal }) })) t0 = Math.min(t0 ?? Infinity, op.intendedAt);
    t0 ??= 0;
  }
  const judgedFrom = t0 + (scenario?.warmupMs ?? 0);
  const runEndAt = run?.endAt ?? (scenario ? t0 + scenario.runEndMs : Infinity);

  const faults = await readFaults(dir, reads.faults, anomalies, scenario, t0, signal);
  const windows: FaultWindow[] = faults.map((f) => ({ id: f.id, startAt: f.startAt, endAt: f.endAt ?? runEndAt }));
  const classifier = new WindowClassifier(judgedFrom, windows);
  const specs = [...(scenario ? scenarioWindows(scenario) : standardWindows(defaultSettleMs({ heartbeatMs: 200, missLimit: 4 }))), ...(options.windows ?? [])];
  const acc = new Map(specs.map((s) => [s.key, new WindowAccumulator()]));
  const perFault = windows.map(() => new WindowAccumulator());
  const byFunction = new Map<string, WindowAccumulator>();
  const tenants = new Map((scenario?.functions ?? []).map((f) => [f.name, f.tenant]));
  const availability = new AvailabilityAccumulator(judgedFrom, scenario?.slo ?? DEFAULT_SLO, (fn) => tenants.get(fn) ?? fn);
  let lastIntendedAt = judgedFrom;

  const ops = { total: 0, sync: emptyCounts(), async: emptyCounts(), queue: emptyCounts() };
  const events = new Map<string, number>();
  const sentMessages = new Set<string>();
  const messages: MessageAccount = { sent: 0, processed: 0, deadLettered: 0, queued: 0, lost: 0, duplicated: 0, lostIds: [], deadLetterIds: [], queuedIds: [], withoutMessageId: 0 };
  const account: EventAccount = { accepted: 0, delivered: 0, deliveredWithError: 0, deadLettered: 0, pending: 0, lost: 0, lostIds: [], deadLetterIds: [], pendingIds: [], withoutRequestId: 0 };
  for await (const op of readHistory(historyFile, { stats: reads.history, ...(signal && { signal }) })) {
    ops.total++;
    const counts = ops[op.invocation];
    counts[op.result === 'ok' ? 'ok' : op.result === 'fail' ? 'fail' : 'unknown']++;
    if (op.result === 'ok' && op.functionError !== undefined) counts.functionErrors++;
    if (op.status === 429) counts.throttles++;
    if (op.invocation === 'queue' && op.result === 'ok') {
      if (op.requestId === undefined) messages.withoutMessageId++;
      else if (sentMessages.has(op.requestId)) anomalies.push(`message ${op.requestId} was acknowledged twice (seq ${op.seq})`);
      else {
        sentMessages.add(op.requestId);
        messages.sent++;
      }
    }
    if (op.invocation === 'async' && op.result === 'ok') {
      if (op.requestId === undefined) account.withoutRequestId++;
      else if (events.has(op.requestId)) anomalies.push(`event ${op.requestId} was accepted twice (seq ${op.seq})`);
      else {
        events.set(op.requestId, 0);
        account.accepted++;
      }
    }
    for (const spec of specs) if (classifier.includes(spec, op)) acc.get(spec.key)!.add(op);
    availability.add(op);
    if (op.intendedAt > lastIntendedAt) lastIntendedAt = op.intendedAt;
    windows.forEach((w, i) => {
      if (op.intendedAt >= w.startAt && op.intendedAt < w.endAt) perFault[i]!.add(op);
    });
    if (op.intendedAt >= judgedFrom) {
      let f = byFunction.get(op.function);
      if (!f) byFunction.set(op.function, (f = new WindowAccumulator()));
      f.add(op);
    }
  }
  if (account.withoutRequestId > 0) anomalies.push(`${account.withoutRequestId} accepted async operations have no request id and cannot be accounted for`);

  const duplicateIds = new Set<string>();
  const ledgerDir = join(dir, RunFile.LedgerDir);
  const ledger = { present: await exists(ledgerDir), records: 0, truncatedLines: 0, unmatchedEventRecords: 0, flagged: 0 };
  if (ledger.present) {
    const reader = readLedger(ledgerDir, { ...(signal && { signal }) });
    for await (const r of reader) {
      if (r.duplicate) {
        ledger.flagged++;
        // An SQS batch's request id names the batch; its messages are counted one by one below.
        if (r.invocationType !== 'SQS') duplicateIds.add(r.requestId);
      }
      const state = events.get(r.requestId);
      if (state === undefined) {
        if (r.invocationType === 'Event') ledger.unmatchedEventRecords++;
        continue;
      }
      let successes = state & SUCCESS_MASK;
      let attempt = (state >> ATTEMPT_SHIFT) & ATTEMPT_MASK;
      let fe = (state & FE_BIT) !== 0;
      if (r.outcome === 'success') successes = Math.min(SUCCESS_MASK, successes + 1);
      if (r.attempt >= attempt) {
        attempt = Math.min(ATTEMPT_MASK, r.attempt);
        fe = r.outcome === 'function-error';
      }
      events.set(r.requestId, successes | (attempt << ATTEMPT_SHIFT) | (fe ? FE_BIT : 0));
    }
    ledger.records = reader.stats.records;
    ledger.truncatedLines = reader.stats.truncatedLines;
  } else if (account.accepted > 0) {
    anomalies.push(`${RunFile.LedgerDir}/ is missing: delivery of ${account.accepted} accepted events cannot be verified`);
  }

  const finalFile = join(dir, RunFile.AsyncFinal);
  let final: AsyncFinal = { deadLetters: [], pending: [] };
  const finalPresent = await exists(finalFile);
  if (finalPresent) final = await readAsyncFinal(finalFile);
  else if (account.accepted > 0) anomalies.push(`${RunFile.AsyncFinal} is missing: events not delivered count as lost`);
  const deadLettered = new Set(final.deadLetters.map((d) => d.eventId));
  const pending = new Set(final.pending);
  // A sampled or aggregate ledger (issue 16) holds some attempts or none: an event with no record
  // that the async store neither holds nor dead-lettered was delivered by the store's account.
  const detail = ledger.present ? await readLedgerDetailFile(ledgerDir).catch(() => undefined) : undefined;
  const partialLedger = detail !== undefined && detail.detail.level !== 'full';
  let deliveredByStore = 0;

  for (const [id, state] of events) {
    const successes = state & SUCCESS_MASK;
    if (successes > 1) duplicateIds.add(id);
    if (successes > 0) account.delivered++;
    else if (deadLettered.has(id)) {
      account.deadLettered++;
      pushCapped(account.deadLetterIds, id);
    } else if (pending.has(id)) {
      account.pending++;
      pushCapped(account.pendingIds, id);
    } else if (state & FE_BIT) account.deliveredWithError++;
    else if (partialLedger && finalPresent) {
      account.delivered++;
      deliveredByStore++;
    } else if (ledger.present) {
      account.lost++;
      pushCapped(account.lostIds, id);
    }
  }

  if (deliveredByStore > 0) {
    anomalies.push(`the ledger is ${formatLedgerDetail(detail!.detail)}: ${deliveredByStore} accepted events have no record in it and count as delivered by the async store's final state (duplicates are seen only among written records)`);
  }
  if (messages.withoutMessageId > 0) anomalies.push(`${messages.withoutMessageId} acknowledged messages have no MessageId and cannot be accounted for`);
  const queueFile = join(dir, RunFile.QueueMessages);
  const queuePresent = await exists(queueFile);
  let queueRecords = 0;
  if (queuePresent) {
    for await (const m of readQueueMessages(queueFile, { ...(signal && { signal }) })) {
      queueRecords++;
      if (!sentMessages.delete(m.messageId)) continue;
      if (m.duplicates > 0 || m.successes > 1) {
        messages.duplicated++;
        duplicateIds.add(m.messageId);
      }
      if (m.state === 'deleted') messages.processed++;
      else if (m.state === 'dead-lettered') {
        messages.deadLettered++;
        pushCapped(messages.deadLetterIds, m.messageId);
      } else if (m.state === 'queued') {
        messages.queued++;
        pushCapped(messages.queuedIds, m.messageId);
      } else {
        messages.lost++;
        pushCapped(messages.lostIds, m.messageId);
      }
    }
  } else if (messages.sent > 0) {
    anomalies.push(`${RunFile.QueueMessages} is missing: messages not accounted for count as lost`);
  }
  // Acknowledged, yet unknown to the queue service at the end.
  for (const id of sentMessages) {
    messages.lost++;
    pushCapped(messages.lostIds, id);
  }

  const zones = await readZones(dir, reads.zones, signal);
  return {
    dir,
    ...(run && { run }),
    t0,
    judgedFrom,
    ops,
    events: account,
    messages,
    duplicates: { count: duplicateIds.size, ids: [...duplicateIds].slice(0, MAX_LISTED_IDS), flaggedRecords: ledger.flagged, messages: messages.duplicated },
    windows: Object.fromEntries([...acc].map(([k, a]) => [k, a.stats()])),
    byFunction: Object.fromEntries([...byFunction].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, a]) => [k, a.stats()])),
    faults: faults.map((f, i) => ({ ...f, stats: perFault[i]!.stats() })),
    detection: detections(faults, zones, scenario),
    availability: availability.result(faults, run?.loadEndAt ?? (scenario ? t0 + scenario.durationMs : lastIntendedAt)),
    ledger: { present: ledger.present, records: ledger.records, truncatedLines: ledger.truncatedLines, unmatchedEventRecords: ledger.unmatchedEventRecords },
    asyncFinal: { present: finalPresent, deadLetters: final.deadLetters.length, pending: final.pending.length },
    queueFinal: { present: queuePresent, records: queueRecords },
    reads,
    anomalies,
  };
}

/** faults.ndjson merged by id (a line at apply, another at heal); or the scenario's schedule when the file is missing. */
async function readFaults(dir: string, stats: NdjsonReadStats, anomalies: string[], scenario: ResolvedScenario | undefined, t0: number, signal?: AbortSignal): Promise<FaultRecord[]> {
  const file = join(dir, RunFile.Faults);
  if (!(await exists(file))) {
    if (!scenario || scenario.faults.length === 0) return [];
    anomalies.push(`${RunFile.Faults} is missing: fault windows taken from the schedule`);
    return faultSchedule(scenario).map((f) => ({ id: f.id, action: f.action, target: f.targets, startAt: t0 + f.startMs, ...(f.endMs !== undefined && { endAt: t0 + f.endMs }) }));
  }
  const byId = new Map<string, FaultRecord>();
  for await (const r of readFaultRecords(file, { stats, ...(signal && { signal }) })) {
    const prev = byId.get(r.id);
    byId.set(r.id, prev ? { ...prev, ...r, startAt: Math.min(prev.startAt, r.startAt) } : r);
  }
  return [...byId.values()].sort((a, b) => a.startAt - b.startAt);
}

async function readZones(dir: string, stats: NdjsonReadStats, signal?: AbortSignal): Promise<ZoneTransition[]> {
  const file = join(dir, RunFile.Zones);
  if (!(await exists(file))) return [];
  const out: ZoneTransition[] = [];
  for await (const z of readZoneTransitions(file, { stats, ...(signal && { signal }) })) out.push(z);
  return out.sort((a, b) => a.t - b.t);
}

/**
 * For each kill/pause/partition (or a fault a detection hypothesis names), the first down mark of
 * each target after the fault started. A gray failure's target never goes silent, so its detection
 * is the first time the detector took it out of placement at all: a node `suspect` or `down`, a
 * zone anything but `healthy` (issue 18: heartbeat against work-aware detection).
 */
/** Without the scenario (its heartbeat), how long after a heal a down mark still counts for the fault. */
const DEFAULT_LATE_DETECTION_MS = 5_000;

function detections(faults: FaultRecord[], zones: ZoneTransition[], scenario: ResolvedScenario | undefined): Detection[] {
  const named = new Set(scenario?.hypotheses.flatMap((h) => (h.kind === 'detection' ? h.faultIds : [])) ?? []);
  // A down mark counts for a fault until the detector could no longer be judging it: one more
  // heartbeat than the silence it allows after the fault healed, and never past the next fault
  // on the same target (stochastic failures: a hang shorter than the silence limit is never
  // detected, and the next failure's down mark is that failure's).
  const lateMs = scenario ? scenario.cluster.heartbeatMs * (scenario.cluster.missLimit + 1) : DEFAULT_LATE_DETECTION_MS;
  // Fault starts per zone and node, once: stochastic failures make thousands of faults.
  const startsOn = new Map<string, number[]>();
  for (const g of faults) {
    for (const key of new Set([...(g.target.zones ?? []), ...(g.target.nodeIds ?? [])])) {
      const starts = startsOn.get(key);
      if (starts) starts.push(g.startAt);
      else startsOn.set(key, [g.startAt]);
    }
  }
  const nextStart = (key: string, after: number): number => (startsOn.get(key) ?? []).find((t) => t > after) ?? Infinity;
  const out: Detection[] = [];
  for (const f of faults) {
    const gray = GRAY_ACTIONS.has(f.action as FaultAction);
    if (!DETECTABLE_ACTIONS.has(f.action as FaultAction) && !gray && !named.has(f.id)) continue;
    const detected = gray ? (z: ZoneTransition) => z.health !== 'healthy' : (z: ZoneTransition) => z.health === 'down';
    const measure = (match: (z: ZoneTransition) => boolean, where: { zone?: string; nodeId?: string }) => {
      const before = zones.findLast((z) => z.t < f.startAt && match(z));
      const alreadyDown = before !== undefined && detected(before);
      const until = Math.min(nextStart((where.zone ?? where.nodeId)!, f.startAt), f.endAt === undefined ? Infinity : f.endAt + lateMs);
      // A target already down when the fault began (its zone was down: overlapping failures) has no
      // detection of this fault to measure; its next down mark belongs to a later fault.
      const hit = alreadyDown ? undefined : zones.find((z) => z.t >= f.startAt && z.t <= until && detected(z) && match(z));
      out.push({
        faultId: f.id,
        action: f.action,
        ...where,
        startAt: f.startAt,
        ...(alreadyDown && { alreadyDownAt: before.t }),
        ...(hit && { detectedAt: hit.t, detectionMs: hit.t - f.startAt }),
      });
    };
    if (f.target.zones) for (const zone of f.target.zones) measure((z) => z.zone === zone && z.nodeId === undefined, { zone });
    else for (const nodeId of f.target.nodeIds ?? []) measure((z) => z.nodeId === nodeId, { nodeId });
  }
  return out;
}
