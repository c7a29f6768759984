import { round3 } from './duration.js';
import { rateStream, traceCounts, traceStream, workloadRandom, type TimeStream } from './arrival-streams.js';
import type { InvocationKind, ResolvedArrival, ResolvedScenario, ResolvedTraceArrival, ResolvedWorkload } from './types.js';

/** One invocation the runner must send. */
export interface Arrival {
  /** 0-based position in the merged schedule (the history's `seq`). */
  seq: number;
  /** When to send it, ms from the start of the load phase (microsecond precision). */
  atMs: number;
  /** Index of the workload entry in the scenario file. */
  workload: number;
  /** The function; for a `queue` arrival, the queue. */
  function: string;
  /** `queue`: a SendMessage to the queue named in `function`. */
  invocation: InvocationKind;
  /** The entry's payload (the same object for every arrival of the entry; do not mutate). */
  payload: unknown;
}

/** A re-iterable, time-ordered schedule of arrivals; each iteration starts from the beginning. */
export interface ArrivalSchedule extends Iterable<Arrival> {
  /** Number of merged streams (one per entry, one per function of a trace entry). */
  readonly streams: number;
}

interface StreamFactory {
  entry: ResolvedWorkload;
  function: string;
  open(): TimeStream;
}

/**
 * Prepares the schedule of a scenario: reads each trace once (streamed) into per-minute counts,
 * then returns a synchronous, lazy schedule. Iterating it merges every entry's stream by time
 * (ties: file order), holding one pending time per stream, so a long run is never precomputed.
 */
export async function openArrivals(scenario: ResolvedScenario, options: { signal?: AbortSignal } = {}): Promise<ArrivalSchedule> {
  const factories: StreamFactory[] = [];
  for (const entry of scenario.workload) {
    if (entry.arrival.kind === 'trace') {
      const traced = entry as ResolvedWorkload & { arrival: ResolvedTraceArrival };
      const { counts } = await traceCounts(traced.arrival, entry.endMs - entry.startMs, options);
      traced.arrival.functions.forEach((fn, j) => {
        factories.push({ entry, function: fn, open: () => traceStream(traced, counts[j]!, workloadRandom(scenario.seed, entry.index, fn)) });
      });
    } else {
      const rated = entry as ResolvedWorkload & { arrival: Exclude<ResolvedArrival, { kind: 'trace' }> };
      factories.push({ entry, function: entry.function, open: () => rateStream(rated, workloadRandom(scenario.seed, entry.index)) });
    }
  }
  return {
    streams: factories.length,
    [Symbol.iterator]: () => merge(factories),
  };
}

/**
 * The arrivals of a scenario in time order, as an async iterable (it reads trace files first).
 * Use {@link openArrivals} for a synchronous iterator in a hot loop.
 */
export async function* arrivals(scenario: ResolvedScenario, options: { signal?: AbortSignal } = {}): AsyncGenerator<Arrival> {
  yield* await openArrivals(scenario, options);
}

interface HeapItem {
  at: number;
  order: number;
  stream: TimeStream;
  factory: StreamFactory;
}

function* merge(factories: StreamFactory[]): Generator<Arrival> {
  const heap: HeapItem[] = [];
  factories.forEach((factory, order) => {
    const stream = factory.open();
    const at = stream.next();
    if (at !== undefined) push(heap, { at: round3(at), order, stream, factory });
  });
  let seq = 0;
  while (heap.length > 0) {
    const top = heap[0]!;
    yield {
      seq: seq++,
      atMs: top.at,
      workload: top.factory.entry.index,
      function: top.factory.function,
      invocation: top.factory.entry.invocation,
      payload: top.factory.entry.payload,
    };
    const next = top.stream.next();
    if (next === undefined) {
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        down(heap, 0);
      }
    } else {
      top.at = round3(next);
      down(heap, 0);
    }
  }
}

const before = (a: HeapItem, b: HeapItem): boolean => a.at < b.at || (a.at === b.at && a.order < b.order);

function push(heap: HeapItem[], item: HeapItem): void {
  heap.push(item);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

function down(heap: HeapItem[], i: number): void {
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
    if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
    if (m === i) return;
    [heap[i], heap[m]] = [heap[m]!, heap[i]!];
    i = m;
  }
}
