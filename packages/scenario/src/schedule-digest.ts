import { createHash } from 'node:crypto';
import { openArrivals, type Arrival } from './arrivals.js';
import { faultSchedule, type ScheduledFault } from './fault-schedule.js';
import type { ResolvedScenario } from './types.js';

/** Version of the serialised schedule; part of the digest, so a format change changes every digest. */
export const SCHEDULE_FORMAT = 'zonesim-schedule/1';

/**
 * JSON with keys sorted at every level, so that the same value always gives the same bytes
 * whatever order its keys were built in.
 */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** One line of the serialised schedule for a fault. */
export function serializeFault(fault: ScheduledFault): string {
  return `fault ${canonicalJson(fault)}`;
}

/** One line of the serialised schedule for an arrival (the payload is in the entry's line). */
export function serializeArrival(arrival: Arrival): string {
  return `arrival ${arrival.seq} ${arrival.atMs} ${arrival.workload} ${arrival.function} ${arrival.invocation}`;
}

/** The lines before the arrivals: a header, each workload entry (span, payload), each fault with its selections. */
function headLines(scenario: ResolvedScenario): string[] {
  const lines = [`${SCHEDULE_FORMAT} seed=${canonicalJson(scenario.seed)} duration=${scenario.durationMs} run=${scenario.runEndMs}`];
  for (const w of scenario.workload) {
    lines.push(`workload ${canonicalJson({ index: w.index, function: w.function, invocation: w.invocation, startMs: w.startMs, endMs: w.endMs, arrival: w.arrival.kind, payload: w.payload })}`);
  }
  for (const f of faultSchedule(scenario)) lines.push(serializeFault(f));
  return lines;
}

/**
 * Streams the serialised schedule, line by line (without newlines): the head (see above), then
 * every arrival. The same scenario file and seed give the same lines, byte for byte; a runner can
 * write them to its results for later comparison.
 */
export async function* serializeSchedule(scenario: ResolvedScenario): AsyncGenerator<string> {
  yield* headLines(scenario);
  for (const a of await openArrivals(scenario)) yield serializeArrival(a);
}

/** SHA-256 (hex) of the serialised schedule: what the determinism test compares. */
export async function scheduleDigest(scenario: ResolvedScenario): Promise<string> {
  const hash = createHash('sha256');
  for (const line of headLines(scenario)) hash.update(`${line}\n`);
  for (const a of await openArrivals(scenario)) hash.update(`${serializeArrival(a)}\n`);
  return hash.digest('hex');
}
