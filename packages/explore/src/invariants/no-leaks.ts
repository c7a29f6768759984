import type { Invariant, Violation } from './types.js';

/** Pending timers a quiet coordinator may hold: detector, dispatcher, pollers, schedules, ledger ticks (measured: tens). */
export const COORDINATOR_TIMER_BOUND = 200;
/** Pending timers a quiet zone node may hold: heartbeat, keep-alive sweeps, redial (measured: a handful). */
export const NODE_TIMER_BOUND = 50;

/**
 * Nothing leaks: once the load is over and the cooldown has passed (longer than the keep-alive at
 * the drawn time scale), no invocation is still held anywhere, no concurrency slot is still taken,
 * only provisioned environments are alive, and timers are back to a quiet process's handful.
 */
export const noLeaks: Invariant = {
  name: 'no-leaks',
  description: 'nothing leaks: invocations, concurrency slots, environments and timers return to their bounds after the run',
  check({ end }) {
    if (!end) return [];
    const out: Violation[] = [];
    const leak = (message: string, ids?: string[]): void => void out.push({ invariant: this.name, message, at: end.at, ...(ids ? { ids } : {}) });
    if (end.coordinatorInFlight > 0) leak(`the coordinator still held ${end.coordinatorInFlight} invocations after the run`);
    const held = Object.entries(end.concurrencyHeld).filter(([, n]) => n > 0);
    if (held.length > 0) leak(`concurrency slots still taken after the run: ${held.map(([f, n]) => `${f} ${n}`).join(', ')}`, held.map(([f]) => f));
    if (end.coordinatorTimers > COORDINATOR_TIMER_BOUND) leak(`the coordinator had ${end.coordinatorTimers} pending timers after the run (bound ${COORDINATOR_TIMER_BOUND})`);
    for (const n of end.nodes) {
      if (n.busy > 0 || n.running > 0) leak(`${n.nodeId} still had ${n.running} invocations running and ${n.busy} busy environments after the run`, [n.nodeId]);
      if (n.environments > n.provisioned) leak(`${n.nodeId} kept ${n.environments - n.provisioned} on-demand environments past their keep-alive`, [n.nodeId]);
      if (n.timers > NODE_TIMER_BOUND) leak(`${n.nodeId} had ${n.timers} pending timers after the run (bound ${NODE_TIMER_BOUND})`, [n.nodeId]);
    }
    return out;
  },
};
