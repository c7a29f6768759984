/**
 * Benchmark 4, failover (issue 10): a zone node lost under steady load. From the fault to the zone
 * marked down in /zonesim/v1/zones, and to the first invocation sent after the fault that succeeds
 * in another zone; the errors seen in between. Two faults, each repeated: SIGKILL (the kernel
 * closes the node's socket, so the coordinator may know at once) and SIGSTOP (the process freezes
 * with its socket open: only the heartbeat detector can notice, the case the 1 s target is about).
 * Baseline: the configured detection bound, heartbeat interval x miss limit.
 */
import { DEFAULT_COORDINATOR } from '@zonesim/coordinator';
import { createFunction, invokePath, startBenchCluster, syntheticFiles, type BenchCluster } from './lib/cluster.js';
import { onCleanup } from './lib/cleanup.js';
import { HttpClient } from './lib/http-load.js';
import { OpenLoop, type OpenLoopOp } from './lib/open-loop.js';
import { fmt, median } from './lib/stats.js';
import { row, type BenchContext, type Benchmark, type ResultRow, type TargetCheck } from './lib/types.js';

const RATE = 100;
const DURATION_MS = 50;
const POLL_MS = 10;
const HEARTBEAT_MS = DEFAULT_COORDINATOR.heartbeatIntervalMs;
const MISS_LIMIT = DEFAULT_COORDINATOR.heartbeatMissLimit;
const BOUND_MS = HEARTBEAT_MS * MISS_LIMIT;
const DETECTION_TARGET_MS = 1000;
const FAILOVER_TARGET_MS = 1200;

type Fault = 'SIGKILL' | 'SIGSTOP';

interface ZonesView {
  zones: Array<{ zone: string; health: string; nodes: Array<{ nodeId: string; health: string }> }>;
}

/** One repetition's measurements (ms from the fault, `performance.now()` of this process). */
interface Trial {
  fault: Fault;
  zone: string;
  /** The victim's share of the answers in the second before the fault. */
  share: number;
  detectionMs: number;
  /** First `suspect` seen (SIGSTOP only: a killed node goes straight to down). */
  suspectMs?: number;
  /** SIGKILL only: when this process saw the node's exit (the kernel has torn the process down by then). */
  exitMs?: number;
  /** First success of an invocation sent after the fault, answered by another zone. */
  firstSuccessElsewhereMs: number;
  /** When the last invocation sent between the fault and the detection was answered. */
  allNewAnsweredMs: number;
  /** Of the invocations sent after the fault: the slowest (ms, from its send). */
  newMaxLatencyMs: number;
  /** Errors of invocations in flight at the fault (sent before it, answered after). */
  errorsInFlight: number;
  /** Errors of invocations sent after the victim stopped taking work (suspect, or down): none expected. */
  errorsNew: number;
  /**
   * Errors of invocations sent after the fault but before the victim stopped taking work: those
   * offered to it may have run there and fail with ServiceException, as Lambda's do (issue 19).
   */
  errorsBeforeRoutedAway: number;
  errorTypes: Record<string, number>;
  sentAfterFault: number;
  /** Invocations sent after the fault that ran in the victim's zone anyway (none expected). */
  ranOnVictimAfterDetection: number;
}

async function zones(poll: HttpClient): Promise<ZonesView> {
  const a = await poll.send('GET', '/zonesim/v1/zones');
  if (a.status !== 200) throw new Error(`GET /zonesim/v1/zones: ${a.status}`);
  return JSON.parse(a.body.toString('utf8')) as ZonesView;
}

/** Waits until every zone is healthy with its node registered. */
async function allHealthy(poll: HttpClient, count: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await zones(poll);
    if (v.zones.length === count && v.zones.every((z) => z.health === 'healthy' && z.nodes.length > 0)) return;
    if (performance.now() > deadline) throw new Error(`zones not all healthy after ${timeoutMs} ms: ${JSON.stringify(v.zones.map((z) => [z.zone, z.health]))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls every POLL_MS until `zone` is down; returns the times (this process's clock) of suspect and down. */
async function watchUntilDown(poll: HttpClient, zone: string, timeoutMs: number): Promise<{ suspectAt?: number; downAt: number }> {
  const deadline = performance.now() + timeoutMs;
  let suspectAt: number | undefined;
  for (;;) {
    const started = performance.now();
    const v = await zones(poll);
    const at = performance.now();
    const h = v.zones.find((z) => z.zone === zone)?.health;
    if (h === 'down') return { ...(suspectAt !== undefined ? { suspectAt } : {}), downAt: at };
    if (h === 'suspect' && suspectAt === undefined) suspectAt = at;
    if (at > deadline) throw new Error(`zone ${zone} not marked down within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, Math.max(0, started + POLL_MS - performance.now())));
  }
}

function analyse(fault: Fault, zone: string, share: number, faultAt: number, marks: { suspectAt?: number; downAt: number }, ops: OpenLoopOp[]): Trial {
  const after = ops.filter((o) => o.sentAt >= faultAt);
  const ok = (o: OpenLoopOp): boolean => o.status === 200;
  const elsewhere = after.filter((o) => ok(o) && o.zone !== undefined && o.zone !== zone);
  const firstSuccessElsewhere = Math.min(...elsewhere.map((o) => o.endedAt));
  const beforeDetection = after.filter((o) => o.sentAt <= marks.downAt);
  const allNewAnswered = Math.max(faultAt, ...beforeDetection.map((o) => o.endedAt));
  const inFlightAtFault = ops.filter((o) => o.sentAt < faultAt && o.endedAt >= faultAt);
  const errorTypes: Record<string, number> = {};
  const errors = (list: OpenLoopOp[]): number => {
    let n = 0;
    for (const o of list) {
      if (ok(o)) continue;
      n++;
      const key = `${o.errorType ?? 'unknown'} (${o.status ?? 'no answer'}, ${o.sentAt < faultAt ? 'in flight at the fault' : 'sent after it'})`;
      errorTypes[key] = (errorTypes[key] ?? 0) + 1;
    }
    return n;
  };
  return {
    fault,
    zone,
    share,
    detectionMs: marks.downAt - faultAt,
    ...(marks.suspectAt !== undefined ? { suspectMs: marks.suspectAt - faultAt } : {}),
    firstSuccessElsewhereMs: firstSuccessElsewhere - faultAt,
    allNewAnsweredMs: allNewAnswered - faultAt,
    newMaxLatencyMs: Math.max(0, ...after.map((o) => o.endedAt - o.sentAt)),
    errorsInFlight: errors(inFlightAtFault),
    errorsNew: errors(after.filter((o) => o.sentAt >= (marks.suspectAt ?? marks.downAt))),
    errorsBeforeRoutedAway: errors(after.filter((o) => o.sentAt < (marks.suspectAt ?? marks.downAt))),
    errorTypes,
    sentAfterFault: after.length,
    ranOnVictimAfterDetection: after.filter((o) => o.sentAt > marks.downAt && o.zone === zone).length,
  };
}

/** The zone that answered most invocations in the last second (so the fault hits a zone under load). */
function busiestZone(ops: OpenLoopOp[], since: number): { zone: string; share: number } {
  const counts = new Map<string, number>();
  let total = 0;
  for (const o of ops) {
    if (o.endedAt < since || o.zone === undefined) continue;
    counts.set(o.zone, (counts.get(o.zone) ?? 0) + 1);
    total++;
  }
  const [zone, n] = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? ['az-a', 0];
  return { zone, share: total === 0 ? 0 : n / total };
}

async function trial(ctx: BenchContext, cluster: BenchCluster, api: HttpClient, poll: HttpClient, fault: Fault, steadyMs: number): Promise<Trial> {
  await allHealthy(poll, cluster.zoneNodes.length, 30_000);
  const load = new OpenLoop(api, { method: 'POST', path: invokePath('synth'), body: Buffer.from('{}') }, RATE);
  load.start();
  let resume: (() => Promise<void>) | undefined;
  let killed: string | undefined;
  try {
    await new Promise((r) => setTimeout(r, steadyMs));
    const { zone, share } = busiestZone(load.ops, performance.now() - 1000);
    const node = cluster.zoneNodes.find((n) => n.zone === zone)!;
    if (fault === 'SIGSTOP') {
      const handle = node.handle;
      // A frozen node must be thawed even if this benchmark fails, or stopping it waits for SIGKILL.
      resume = onCleanup(`SIGCONT ${node.nodeId}`, () => void (handle.running && handle.signal('SIGCONT')));
    }
    if (fault === 'SIGKILL') killed = node.nodeId;
    const exited = fault === 'SIGKILL' ? node.handle.exited.then(() => performance.now()) : undefined;
    const faultAt = performance.now();
    node.handle.signal(fault);
    const marks = await watchUntilDown(poll, zone, 10_000);
    // Long enough after the detection for every invocation sent before it to have been answered.
    await new Promise((r) => setTimeout(r, Math.max(1500, marks.downAt - faultAt + 1000)));
    const ops = await load.stop();
    const t = analyse(fault, zone, share, faultAt, marks, ops);
    if (exited) t.exitMs = (await exited) - faultAt;
    ctx.log(
      `  ${fault} ${zone} (${Math.round(share * 100)}% of the load): down after ${fmt(t.detectionMs)} ms` +
        `${t.suspectMs !== undefined ? ` (suspect ${fmt(t.suspectMs)} ms)` : ''}${t.exitMs !== undefined ? ` (process exit seen ${fmt(t.exitMs)} ms)` : ''}, first success elsewhere ${fmt(t.firstSuccessElsewhereMs)} ms, ` +
        `all new answered by ${fmt(t.allNewAnsweredMs)} ms; errors ${t.errorsInFlight} in flight + ${t.errorsBeforeRoutedAway} sent before it was routed away + ${t.errorsNew} after`,
    );
    return t;
  } finally {
    await load.stop();
    if (resume) await resume();
    const node = cluster.zoneNodes.find((n) => n.nodeId === killed);
    if (node) {
      await node.handle.exited;
      await cluster.restartZoneNode(node.nodeId);
    }
  }
}

function errorLine(trials: Trial[]): string {
  const types: Record<string, number> = {};
  for (const t of trials) for (const [k, n] of Object.entries(t.errorTypes)) types[k] = (types[k] ?? 0) + n;
  const list = Object.entries(types).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} x ${k}`);
  return list.length === 0 ? 'none' : list.join('; ');
}

export const benchmark: Benchmark = {
  name: 'failover',
  title: 'Failover: a zone node lost under load',
  async run(ctx) {
    const reps = ctx.quick ? 2 : 5;
    const steadyMs = ctx.quick ? 1500 : 2500;
    const cluster = await startBenchCluster({ zoneCount: 3 });
    const api = new HttpClient(cluster.apiUrl, 512);
    const poll = new HttpClient(cluster.apiUrl, 2);
    try {
      await createFunction(cluster.apiUrl, 'synth', syntheticFiles(DURATION_MS), { Runtime: 'zonesim.synthetic', Handler: 'ignored' });
      const trials: Record<Fault, Trial[]> = { SIGKILL: [], SIGSTOP: [] };
      // Alternated, so both faults see the same background load of the (shared) machine.
      for (let i = 0; i < reps && !ctx.signal.aborted; i++) {
        for (const fault of ['SIGSTOP', 'SIGKILL'] as const) trials[fault].push(await trial(ctx, cluster, api, poll, fault, steadyMs));
      }
      const bound = { value: BOUND_MS, name: `configured bound: ${HEARTBEAT_MS} ms heartbeat x ${MISS_LIMIT}` };
      const med = (f: Fault, k: keyof Trial) => median(trials[f].map((t) => t[k] as number));
      const max = (f: Fault, k: keyof Trial) => Math.max(...trials[f].map((t) => t[k] as number));
      const sum = (f: Fault, k: keyof Trial) => trials[f].reduce((n, t) => n + (t[k] as number), 0);
      const rows: ResultRow[] = [];
      const label = { SIGSTOP: 'SIGSTOP (frozen: heartbeats only)', SIGKILL: 'SIGKILL (socket closed by the kernel)' } as const;
      for (const f of ['SIGSTOP', 'SIGKILL'] as const) {
        rows.push(row(`detection, median, ${label[f]}`, med(f, 'detectionMs'), 'ms', bound));
        rows.push(row(`detection, max, ${label[f]}`, max(f, 'detectionMs'), 'ms', bound));
        rows.push(row(`first success elsewhere (sent after the fault), median, ${f}`, med(f, 'firstSuccessElsewhereMs'), 'ms', bound,
          `includes the function's own ${DURATION_MS} ms`));
        rows.push(row(`first success elsewhere, max, ${f}`, max(f, 'firstSuccessElsewhereMs'), 'ms', bound));
        rows.push(row(`every invocation sent before the detection answered, median, ${f}`, med(f, 'allNewAnsweredMs'), 'ms', bound,
          'from the fault; the invocations offered to the lost node fail once it is declared down (they may have run there), the others run elsewhere'));
        rows.push(row(`every invocation sent before the detection answered, max, ${f}`, max(f, 'allNewAnsweredMs'), 'ms', bound));
        rows.push(row(`errors, in flight at the fault, ${f} (total of ${trials[f].length})`, sum(f, 'errorsInFlight'), 'requests', undefined,
          `of ~${Math.round((RATE * DURATION_MS) / 1000)} in flight at ${RATE}/s x ${DURATION_MS} ms, about a third of them on the lost node`));
        rows.push(row(`errors, sent after the fault before the node was routed away, ${f} (total of ${trials[f].length})`, sum(f, 'errorsBeforeRoutedAway'), 'requests', undefined,
          'offered to the lost node before it was suspect or down: they may have run there, so they fail (ServiceException), as Lambda never retries such a call'));
        rows.push(row(`errors, sent after the node was routed away, ${f} (total of ${trials[f].length})`, sum(f, 'errorsNew'), 'requests', undefined,
          `of ${sum(f, 'sentAfterFault')} sent after the faults`));
      }
      const stopDetect = max('SIGSTOP', 'detectionMs');
      const killDetect = max('SIGKILL', 'detectionMs');
      const failover = Math.max(max('SIGSTOP', 'allNewAnsweredMs'), max('SIGKILL', 'allNewAnsweredMs'));
      const newErrors = sum('SIGSTOP', 'errorsNew') + sum('SIGKILL', 'errorsNew');
      const targets: TargetCheck[] = [
        {
          target: 'a killed zone detected within 1 s with default settings (frozen node: heartbeats only; worst of the repetitions)',
          actual: `${fmt(stopDetect)} ms SIGSTOP, ${fmt(killDetect)} ms SIGKILL (medians ${fmt(med('SIGSTOP', 'detectionMs'))}, ${fmt(med('SIGKILL', 'detectionMs'))})`,
          met: stopDetect <= DETECTION_TARGET_MS && killDetect <= DETECTION_TARGET_MS,
        },
        {
          target: 'new invocations failing over within 1.2 s (every invocation sent after the lost node stopped taking work answered from another zone; worst of the repetitions)',
          actual: `all answered by ${fmt(failover)} ms, ${newErrors} of them failed; first success elsewhere after ${fmt(Math.max(max('SIGSTOP', 'firstSuccessElsewhereMs'), max('SIGKILL', 'firstSuccessElsewhereMs')))} ms at worst`,
          met: failover <= FAILOVER_TARGET_MS && newErrors === 0,
        },
      ];
      const numbers: Record<string, number> = {};
      for (const f of ['SIGSTOP', 'SIGKILL'] as const) {
        for (const k of ['detectionMs', 'firstSuccessElsewhereMs', 'allNewAnsweredMs', 'newMaxLatencyMs'] as const) {
          numbers[`${f}.${k}.median`] = med(f, k);
          numbers[`${f}.${k}.max`] = max(f, k);
        }
        numbers[`${f}.errorsInFlight`] = sum(f, 'errorsInFlight');
        numbers[`${f}.errorsNew`] = sum(f, 'errorsNew');
        numbers[`${f}.errorsBeforeRoutedAway`] = sum(f, 'errorsBeforeRoutedAway');
        numbers[`${f}.ranOnVictimAfterDetection`] = sum(f, 'ranOnVictimAfterDetection');
        numbers[`${f}.repetitions`] = trials[f].length;
      }
      const suspect = trials.SIGSTOP.map((t) => t.suspectMs).filter((x): x is number => x !== undefined);
      if (suspect.length > 0) numbers['SIGSTOP.suspectMs.median'] = median(suspect);
      const exits = trials.SIGKILL.map((t) => t.exitMs).filter((x): x is number => x !== undefined);
      if (exits.length > 0) numbers['SIGKILL.exitMs.median'] = median(exits);
      const notes = [
        `Errors by type: SIGSTOP ${errorLine(trials.SIGSTOP)}; SIGKILL ${errorLine(trials.SIGKILL)}.`,
        `Per repetition (detection / first success elsewhere / all new answered, ms; victim's share of the load): ` +
          (['SIGSTOP', 'SIGKILL'] as const)
            .map((f) => `${f} ` + trials[f].map((t) => `${t.zone} ${fmt(t.detectionMs)}/${fmt(t.firstSuccessElsewhereMs)}/${fmt(t.allNewAnsweredMs)} (${Math.round(t.share * 100)}%)`).join(', '))
            .join('; ') + '.',
        `SIGSTOP: the detector marks a node suspect (placement avoids it) after 2 silent intervals (${2 * HEARTBEAT_MS} ms; seen at a median of ` +
          `${suspect.length > 0 ? fmt(median(suspect)) : '-'} ms here) and down after ${MISS_LIMIT} (${BOUND_MS} ms), checking every ` +
          `${HEARTBEAT_MS / 2} ms, so the expected detection is ${BOUND_MS}-${BOUND_MS + HEARTBEAT_MS / 2} ms after the node's last frame. ` +
          `Invocations offered to the frozen node before it was suspect wait until it is declared down, then (not accepted) are re-dispatched ` +
          `to another zone: they are the slow ones, not failures. Invocations it had accepted fail for their synchronous callers (Lambda never ` +
          `retries a synchronous invoke); those are the errors "in flight at the fault".`,
        ...(trials.SIGSTOP.some((t) => t.share >= 0.9)
          ? [`In ${trials.SIGSTOP.filter((t) => t.share >= 0.9).length} SIGSTOP repetition(s) the frozen node had served (nearly) all the ` +
              `load: warm-first placement keeps sending a function to the node that holds its idle environments, and nodes restarted by ` +
              `earlier repetitions start empty. Invocations sent after the freeze went to the frozen node while it still had idle ones and ` +
              `was not suspect; they waited there and were re-dispatched once it was declared down (not lost). First success elsewhere in ` +
              `those repetitions: ${trials.SIGSTOP.filter((t) => t.share >= 0.9).map((t) => `${fmt(t.firstSuccessElsewhereMs)} ms`).join(', ')}.`]
          : []),
        `SIGKILL: the kernel closes the dead process's socket, so the coordinator learns it without waiting for heartbeats. That close ` +
          `comes only once the kernel has torn the process down (its memory is released before its files and sockets are closed): ` +
          `this process saw the node's exit at a median of ${exits.length > 0 ? fmt(median(exits)) : '-'} ms after the signal, and the zone ` +
          `was marked down at a median of ${fmt(med('SIGKILL', 'detectionMs'))} ms.`,
        `Detection is what GET /zonesim/v1/zones showed, polled every ${POLL_MS} ms (the time the answer arrived, so up to one poll late). ` +
          `The shared machine's load shows in the tails.`,
      ];
      return {
        measures:
          `A 3-zone cluster with default failure detection (heartbeat ${HEARTBEAT_MS} ms, miss limit ${MISS_LIMIT}) under steady open-loop load: ` +
          `${RATE} synchronous invocations/s of a synthetic function of constant ${DURATION_MS} ms (sent on schedule whether or not earlier ones ` +
          `were answered). After ${steadyMs / 1000} s of steady load, the zone node that answered the most invocations in the last second gets ` +
          `SIGSTOP (frozen with its socket open: only the heartbeat detector can notice) or SIGKILL (its socket is closed by the kernel); ` +
          `${reps} repetitions of each, alternated, with the node thawed or restarted and all zones healthy again between them. Measured from ` +
          `the signal: the zone marked \`down\` in \`GET /zonesim/v1/zones\` (polled every ${POLL_MS} ms); the first success of an invocation ` +
          `sent after the fault that ran in another zone (\`x-zonesim-zone\`); the time by which every invocation sent between the fault and the ` +
          `detection was answered (when failover of new invocations is complete); and every error in between. Baseline: the configured ` +
          `detection bound, heartbeat x miss limit = ${BOUND_MS} ms (not a measured server: the figure the detector is built to meet).`,
        rows,
        numbers,
        baseline: { heartbeatIntervalMs: HEARTBEAT_MS, heartbeatMissLimit: MISS_LIMIT, detectionBoundMs: BOUND_MS },
        targets,
        notes,
      };
    } finally {
      api.close();
      poll.close();
      await cluster.stop();
    }
  },
};
