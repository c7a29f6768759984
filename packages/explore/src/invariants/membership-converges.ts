import type { Invariant, RunEvidence, Violation } from './types.js';

/** How long a node may take to reconnect once its fault is healed (the zone node's longest redial backoff, 2 s, and a margin). */
const RECONNECT_MS = 3_000;

/**
 * How long after the last heal the region may take to be whole again: the failure detector's own
 * bound (heartbeats x miss limit), plus a node's redial.
 */
export function convergenceBoundMs(evidence: Pick<RunEvidence, 'scenario'>): number {
  const c = evidence.scenario.cluster;
  return c.heartbeatMs * c.missLimit + RECONNECT_MS;
}

/** When the last fault was healed (an instantaneous disconnect heals as it is applied). */
export function lastHealAt(evidence: Pick<RunEvidence, 'faults'>): number | undefined {
  let last: number | undefined;
  for (const f of evidence.faults) {
    const at = f.endAt ?? (f.action === 'disconnect' ? f.startAt : undefined);
    if (at !== undefined) last = Math.max(last ?? 0, at);
  }
  return last;
}

/**
 * After every fault is healed, membership converges within the detector's bound (every zone and
 * node back to healthy, every live node with a session at the coordinator) and the region serves
 * again: no synchronous call sent after that point fails for the platform (5xx or no answer).
 */
export const membershipConverges: Invariant = {
  name: 'membership-converges',
  description: "after all faults heal, membership converges within the detector's bound and the region serves again",
  check(evidence) {
    const out: Violation[] = [];
    const healed = lastHealAt(evidence);
    if (healed === undefined) return out;
    const bound = convergenceBoundMs(evidence);
    const settled = healed + bound;
    const last = new Map<string, { health: string; t: number }>();
    for (const z of evidence.zones) last.set(z.nodeId ?? `zone ${z.zone}`, { health: z.health, t: z.t });
    const notHealthy = [...last].filter(([, v]) => v.health !== 'healthy');
    if (notHealthy.length > 0) {
      out.push({ invariant: this.name, message: `membership never converged: ${notHealthy.map(([k, v]) => `${k} ${v.health}`).join(', ')} at the end`, at: settled, ids: notHealthy.slice(0, 5).map(([k]) => k) });
    } else {
      const late = [...last].filter(([, v]) => v.t > settled);
      if (late.length > 0) {
        const worst = Math.max(...late.map(([, v]) => v.t));
        out.push({ invariant: this.name, message: `membership converged ${worst - healed} ms after the last heal, beyond the bound of ${bound} ms (${late.map(([k]) => k).join(', ')})`, at: worst, ids: late.slice(0, 5).map(([k]) => k) });
      }
    }
    const end = evidence.end;
    if (end && (!end.coordinatorUp || end.sessions !== end.nodesAlive)) {
      out.push({ invariant: this.name, message: `at the end the coordinator ${end.coordinatorUp ? `had ${end.sessions} sessions for ${end.nodesAlive} live zone nodes` : 'was down'}`, at: end.at });
    }
    return out;
  },
};

/** A synchronous call sent once the region had settled that the platform failed. */
export const regionServesAgain: Invariant = {
  name: 'region-serves-again',
  description: 'once membership has converged after the last heal, synchronous calls are answered (no 5xx, no missing answer)',
  check(evidence) {
    const healed = lastHealAt(evidence);
    if (healed === undefined) return [];
    const from = healed + convergenceBoundMs(evidence);
    const failed = evidence.syncOps.filter((op) => op.intendedAt >= from && (op.result === 'unknown' || (op.status !== null && op.status >= 500)));
    if (failed.length === 0) return [];
    return [{ invariant: this.name, message: `${failed.length} synchronous calls sent after the region settled failed (first: ${failed[0]!.status ?? 'no answer'} ${failed[0]!.errorType ?? ''})`.trim(), at: failed[0]!.intendedAt, ids: failed.slice(0, 5).map((op) => op.requestId ?? `seq ${op.seq}`) }];
  },
};
