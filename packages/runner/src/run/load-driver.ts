import type { Clock, SeededRandom } from '@zonesim/common';
import type { Arrival, HistoryOp, NdjsonWriter, ResolvedClient, StopConditionMonitor } from '@zonesim/scenario';
import type { ClusterClient, InvokeAnswer } from '../client/cluster-client.js';
import { sleep } from '../clock-wait.js';
import { backoffMs, failureKind, RetryBudget } from './client-retries.js';

/** Live counts for the progress line. */
export interface LoadCounts {
  sent: number;
  ok: number;
  fail: number;
  unknown: number;
  inFlight: number;
}

/** Client timeout of a SendMessage (it answers once the message is committed). */
export const QUEUE_SEND_TIMEOUT_MS = 10_000;

/** A queue arrival's message body: a string payload as is, any other as JSON; none: the arrival's seq. */
function messageBody(a: Arrival): string {
  if (typeof a.payload === 'string' && a.payload.length > 0) return a.payload;
  return JSON.stringify(a.payload ?? { seq: a.seq });
}

/**
 * Most invocations in flight before new ones are recorded as failed at the client (a bound, not a
 * throttle): sockets and memory of a real client. A virtual world raises it (`RunWorld.maxClientInFlight`).
 */
export const MAX_CLIENT_IN_FLIGHT = 20_000;

/**
 * Drives open-loop load: each arrival is sent at its intended time (`t0 + atMs`) whether or not
 * earlier ones have answered, and its latency counts from that intended time, so a stalled
 * platform shows as latency instead of hiding behind a slower sender (coordinated omission). Every
 * operation becomes one `history.ndjson` line; results also feed the stop conditions.
 */
export class LoadDriver {
  readonly counts: LoadCounts = { sent: 0, ok: 0, fail: 0, unknown: 0, inFlight: 0 };
  readonly #client: ClusterClient;
  readonly #clock: Clock;
  readonly #history: NdjsonWriter<HistoryOp>;
  readonly #monitor: StopConditionMonitor | undefined;
  readonly #target: (fn: string) => { name: string; timeoutMs: number };
  readonly #inFlight = new Set<Promise<void>>();
  readonly #queueUrl: (queue: string) => string;
  readonly #maxInFlight: number;
  readonly #clients: ReadonlyMap<number, ResolvedClient>;
  readonly #budgets = new Map<number, RetryBudget>();
  readonly #random: SeededRandom | undefined;
  #stopping: AbortSignal | undefined;

  constructor(args: {
    client: ClusterClient;
    /** Intended times, waits and latencies are read from it. */
    clock: Clock;
    history: NdjsonWriter<HistoryOp>;
    monitor?: StopConditionMonitor;
    /** The name (with qualifier) to invoke for a scenario function, and the client timeout. */
    target: (fn: string) => { name: string; timeoutMs: number };
    /** The URL of a scenario queue (for `queue` arrivals). */
    queueUrl?: (queue: string) => string;
    /** @default MAX_CLIENT_IN_FLIGHT */
    maxInFlight?: number;
    /** Each workload entry's callers (timeout, retries, budget), by entry index. @default none: one call each */
    clients?: ReadonlyMap<number, ResolvedClient>;
    /** The jitter of retries' backoff (seeded: a virtual run replays). Required when a client retries. */
    random?: SeededRandom;
  }) {
    this.#clients = args.clients ?? new Map();
    this.#random = args.random;
    for (const [index, client] of this.#clients) {
      if (client.retries && !args.random) throw new Error(`LoadDriver: workload ${index} retries, so a seeded random is needed for its jitter`);
      if (client.budget) this.#budgets.set(index, new RetryBudget(client.budget, args.clock));
    }
    this.#maxInFlight = args.maxInFlight ?? MAX_CLIENT_IN_FLIGHT;
    this.#queueUrl = args.queueUrl ?? ((q) => q);
    this.#client = args.client;
    this.#clock = args.clock;
    this.#history = args.history;
    this.#monitor = args.monitor;
    this.#target = args.target;
  }

  /** Sends every arrival at its time; stops early when `signal` aborts. */
  async run(schedule: Iterable<Arrival>, t0: number, signal: AbortSignal): Promise<void> {
    // A stopped run also stops the waits of retries in progress.
    this.#stopping = signal;
    for (const a of schedule) {
      if (signal.aborted) return;
      const intendedAt = t0 + a.atMs;
      const wait = intendedAt - this.#clock.now();
      if (wait > 1) {
        try {
          await sleep(this.#clock, wait, signal);
        } catch {
          return;
        }
      }
      this.#send(a, intendedAt);
    }
  }

  /** Waits for the invocations in flight (each is bounded by its client timeout). */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #send(a: Arrival, intendedAt: number): void {
    this.counts.sent++;
    const { name, timeoutMs } = this.#target(a.function);
    const sentAt = this.#clock.now();
    if (this.counts.inFlight >= this.#maxInFlight) {
      this.#record(a, intendedAt, sentAt, { status: null, errorType: 'ClientOverload' });
      return;
    }
    this.counts.inFlight++;
    const client = this.#clients.get(a.workload);
    const callTimeoutMs = client?.timeoutMs ?? (a.invocation === 'queue' ? QUEUE_SEND_TIMEOUT_MS : timeoutMs);
    const call = (): Promise<InvokeAnswer> =>
      a.invocation === 'queue'
        ? this.#client.sendMessage(this.#queueUrl(a.function), messageBody(a), callTimeoutMs)
        : this.#client.invoke(name, a.payload, a.invocation, callTimeoutMs);
    // One call each (the common case) goes straight to its record: no wrapper on every arrival.
    const p = client?.retries
      ? this.#withRetries(a, client, call).then(({ answer, attempts, budgetExhausted }) => {
          this.counts.inFlight--;
          this.#record(a, intendedAt, sentAt, answer, attempts, budgetExhausted);
        })
      : call().then((answer) => {
          this.counts.inFlight--;
          this.#record(a, intendedAt, sentAt, answer);
        });
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  /**
   * Calls until an answer is not a retryable failure, the retries are used up, the budget says no
   * or the run stops; waits a jittered exponential backoff between calls. The operation holds its
   * in-flight slot throughout, as a caller waiting to retry does.
   */
  async #withRetries(a: Arrival, client: ResolvedClient, call: () => Promise<InvokeAnswer>): Promise<{ answer: InvokeAnswer; attempts: number; budgetExhausted: boolean }> {
    const retries = client.retries!;
    const budget = this.#budgets.get(a.workload);
    const expected = a.invocation === 'async' ? 202 : 200;
    budget?.deposit();
    let attempts = 1;
    let answer = await call();
    for (;;) {
      const kind = failureKind(answer, expected);
      if (kind === undefined || !retries.on.includes(kind) || attempts > retries.max) return { answer, attempts, budgetExhausted: false };
      if (budget && !budget.tryWithdraw()) return { answer, attempts, budgetExhausted: true };
      // Not through the run's signal: thousands of callers waiting at once would each add a listener
      // to it. A wait is at most the backoff's max; a stopped run ends the loop after it.
      await sleep(this.#clock, backoffMs(retries, attempts, this.#random!));
      if (this.#stopping?.aborted) return { answer, attempts, budgetExhausted: false };
      attempts++;
      answer = await call();
    }
  }

  #record(a: Arrival, intendedAt: number, sentAt: number, answer: InvokeAnswer, attempts = 1, budgetExhausted = false): void {
    const endedAt = this.#clock.now();
    const expected = a.invocation === 'async' ? 202 : 200;
    // A refused connection never reached the front door: a definite failure, not an unknown.
    const refused = answer.status === null && answer.errorType === 'ECONNREFUSED';
    const result: HistoryOp['result'] = refused ? 'fail' : answer.status === null ? 'unknown' : answer.status === expected ? 'ok' : 'fail';
    this.counts[result]++;
    const op: HistoryOp = {
      seq: a.seq,
      workload: a.workload,
      function: a.function,
      invocation: a.invocation,
      intendedAt,
      sentAt,
      endedAt,
      status: answer.status,
      result,
      ...(answer.requestId ? { requestId: answer.requestId } : {}),
      ...(answer.zone ? { zone: answer.zone } : {}),
      ...(answer.functionError ? { functionError: answer.functionError } : {}),
      ...(answer.errorType ? { errorType: answer.errorType } : {}),
      ...(answer.throttleReason ? { throttleReason: answer.throttleReason } : {}),
      ...(attempts > 1 ? { attempts } : {}),
      ...(budgetExhausted ? { budgetExhausted: true as const } : {}),
    };
    this.#history.write(op);
    this.#monitor?.record({ result, latencyMs: endedAt - intendedAt });
  }
}
