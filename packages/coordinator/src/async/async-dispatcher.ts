import { LifecycleState, silentLogger, type Clock, type Lifecycle, type Logger, type TimerHandle } from '@zonesim/common';
import { functionArn } from '../registry/function-name.js';
import { DEAD_LETTER_DESTINATION, DestinationCondition, type AsyncEvent } from './async-event.js';
import type { AttemptOutcome, InvokeAttempt } from './attempt-outcome.js';
import { DeadLetterReason } from './dead-letter.js';
import { buildDestinationRecord } from './destination-record.js';
import { storeDestinationDelivery, type DeliverToFunction } from './destinations.js';
import { copyCounters, emptyCounters, type AsyncDispatcherCounters } from './dispatcher-counters.js';
import { resolveAsyncDispatcherOptions, type AsyncDispatcherOptions, type ResolvedAsyncDispatcherOptions } from './dispatcher-options.js';
import { AsyncQueueErrorCode, isAsyncQueueError } from './errors.js';
import type { EventStore, StartedAttempt } from './event-store.js';
import { decideAfterAttempt, isExpired, lastErrorOf, type TimingRules } from './retry-rules.js';

/** Components of an {@link AsyncDispatcher}, apart from its settings (STYLE 14). */
export interface AsyncDispatcherComponents {
  /** The durable queue. One dispatcher per store: `start()` re-queues every in-flight row. */
  store: EventStore;
  /** Runs one attempt (the coordinator routes it through the router to a zone). */
  invoke: InvokeAttempt;
  /**
   * Timers and `now`. Required: the dispatcher is core code and reads no wall clock of its own
   * (issue 16).
   */
  clock: Clock;
  /** @default a silent logger */
  logger?: Logger;
  /** Function destinations. @default a new async event in `store` ({@link storeDestinationDelivery}) */
  deliverToFunction?: DeliverToFunction;
  /** Uniform [0, 1) for jitter. @default Math.random */
  random?: () => number;
}

/** A claimed event found too old to run (finished with `EventAgeExceeded`). */
const EXPIRED = Symbol('expired');

/** One running attempt. */
interface Slot {
  event: AsyncEvent;
  done: Promise<void>;
  /** Set by `stop()` after its grace: the attempt's late outcome is ignored; the row stays in flight. */
  abandoned: boolean;
  controller: AbortController;
}

/**
 * Runs the durable async queue with Lambda's rules (lambda-facts 5, 6). Each pass claims due
 * events up to `maxConcurrentAttempts`, and per event:
 *
 * 1. an event past its maximum age ends with `EventAgeExceeded` without running;
 * 2. otherwise `invoke` runs one attempt; the outcome decides (see `decideAfterAttempt`): success
 *    ends with `Success`; a function error is retried after ~1 min then ~2 min up to
 *    `maxRetryAttempts`, then ends with `RetriesExhausted`; throttles and platform errors back off
 *    1 s .. 5 min without using those retries, until the event is too old;
 * 3. an ended event's destination record goes to its on-success / on-failure function, or, for a
 *    failure without one (or whose delivery failed), to the dead-letter store: no accepted event is
 *    dropped silently.
 *
 * Time: every Lambda delay is divided by `timeScale`. Delivery is at-least-once: a crash or a
 * `stop()` past its grace leaves events in flight, and `start()` re-queues them; the re-delivery is
 * counted as a duplicate by the store.
 */
export class AsyncDispatcher implements Lifecycle {
  readonly options: ResolvedAsyncDispatcherOptions;
  readonly #store: EventStore;
  readonly #invoke: InvokeAttempt;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #deliver: DeliverToFunction;
  readonly #rules: TimingRules;
  readonly #slots = new Map<string, Slot>();
  readonly #counters = emptyCounters();
  #state: LifecycleState = LifecycleState.Idle;
  #pollTimer: TimerHandle | undefined;
  #leaseTimer: TimerHandle | undefined;
  #wakeup: TimerHandle | undefined;
  #stopping: Promise<void> | undefined;

  constructor(components: AsyncDispatcherComponents, options: AsyncDispatcherOptions = {}) {
    this.options = resolveAsyncDispatcherOptions(options);
    this.#store = components.store;
    this.#invoke = components.invoke;
    this.#clock = components.clock;
    this.#log = components.logger ?? silentLogger();
    this.#deliver =
      components.deliverToFunction ??
      storeDestinationDelivery(this.#store, {
        account: { region: this.options.region, accountId: this.options.accountId },
        maxDepth: this.options.maxDestinationDepth,
      });
    this.#rules = { timeScale: this.options.timeScale, jitter: this.options.jitter, random: components.random ?? Math.random };
  }

  get state(): LifecycleState {
    return this.#state;
  }

  /** Attempts running now. */
  get inFlight(): number {
    return this.#slots.size;
  }

  /** A copy of the counters. */
  get counters(): AsyncDispatcherCounters {
    return copyCounters(this.#counters);
  }

  /** Re-queues what a previous run left in flight (at-least-once), then starts polling. Safe twice. */
  async start(): Promise<void> {
    if (this.#state === LifecycleState.Running || this.#state === LifecycleState.Starting) return;
    if (this.#stopping) await this.#stopping;
    this.#state = LifecycleState.Starting;
    this.#stopping = undefined;
    this.#store.recoverInFlight();
    this.#pollTimer = this.#clock.setInterval(() => this.#pass(), this.options.pollIntervalMs);
    this.#leaseTimer = this.#clock.setInterval(() => this.#renewLeases(), Math.max(1, Math.floor(this.options.scaledLeaseMs / 3)));
    this.#state = LifecycleState.Running;
    this.#log.info({ timeScale: this.options.timeScale, maxConcurrentAttempts: this.options.maxConcurrentAttempts }, 'async dispatcher started');
    this.wake();
  }

  /**
   * Stops claiming, waits up to `stopGraceMs` for running attempts, then abandons the rest: their
   * rows stay in flight, to be re-delivered on the next start. Does not close the store. Safe twice.
   */
  stop(): Promise<void> {
    if (this.#stopping) return this.#stopping;
    if (this.#state === LifecycleState.Idle || this.#state === LifecycleState.Stopped) return Promise.resolve();
    this.#state = LifecycleState.Stopping;
    if (this.#pollTimer) this.#clock.clearInterval(this.#pollTimer);
    if (this.#leaseTimer) this.#clock.clearInterval(this.#leaseTimer);
    if (this.#wakeup) this.#clock.clearImmediate(this.#wakeup);
    this.#pollTimer = this.#leaseTimer = this.#wakeup = undefined;
    this.#stopping = this.#drain().then(() => {
      this.#state = LifecycleState.Stopped;
    });
    return this.#stopping;
  }

  /**
   * What a crash leaves (virtual time's coordinator restart): no more passes or lease renewals, and
   * every running attempt's late outcome ignored, its row left in flight for the next start to
   * re-deliver. Nothing is awaited.
   */
  abandon(): void {
    if (this.#pollTimer) this.#clock.clearInterval(this.#pollTimer);
    if (this.#leaseTimer) this.#clock.clearInterval(this.#leaseTimer);
    if (this.#wakeup) this.#clock.clearImmediate(this.#wakeup);
    this.#pollTimer = this.#leaseTimer = this.#wakeup = undefined;
    for (const slot of this.#slots.values()) {
      slot.abandoned = true;
      slot.controller.abort(new Error('async dispatcher abandoned (crash)'));
    }
    this.#slots.clear();
    this.#state = LifecycleState.Stopped;
  }

  /** Runs a pass as soon as possible (call after an enqueue, so a fresh event need not wait for a poll). */
  wake(): void {
    if (this.#state !== LifecycleState.Running || this.#wakeup) return;
    this.#wakeup = this.#clock.setImmediate(() => {
      this.#wakeup = undefined;
      this.#pass();
    });
  }

  /** Resolves when no attempt runs and no pass is pending (for tests and for draining). */
  async whenIdle(): Promise<void> {
    for (;;) {
      if (this.#wakeup) await new Promise<void>((r) => this.#clock.setImmediate(r));
      else if (this.#slots.size > 0) await Promise.allSettled([...this.#slots.values()].map((s) => s.done));
      else return;
    }
  }

  async #drain(): Promise<void> {
    if (this.#slots.size === 0) return;
    let timer: TimerHandle | undefined;
    const graceOver = new Promise<false>((resolve) => {
      timer = this.#clock.setTimeout(() => resolve(false), this.options.stopGraceMs);
    });
    const all = Promise.allSettled([...this.#slots.values()].map((s) => s.done)).then(() => true as const);
    const finished = await Promise.race([all, graceOver]);
    if (timer) this.#clock.clearTimeout(timer);
    if (finished) return;
    for (const slot of this.#slots.values()) {
      slot.abandoned = true;
      slot.controller.abort(new Error('async dispatcher stopped'));
      this.#counters.abandoned++;
    }
    this.#log.warn({ events: this.#slots.size }, 'async attempts left in flight at stop; they are re-delivered on the next start');
    this.#slots.clear();
  }

  #pass(): void {
    if (this.#state !== LifecycleState.Running) return;
    const free = this.options.maxConcurrentAttempts - this.#slots.size;
    if (free <= 0) return;
    const now = this.#clock.now();
    let events: AsyncEvent[];
    let starts: Array<StartedAttempt | typeof EXPIRED | undefined>;
    try {
      // Lambda checks the age before each attempt: a too-old event is not sent (lambda-facts 6).
      // The others start with their claim, in one transaction.
      const claimed = this.#store.claimAndStart(now, free, this.options.scaledLeaseMs, (e) => !isExpired(e, now, this.options.timeScale));
      events = claimed.events;
      starts = claimed.starts.map((s) => (s === 'not-started' ? EXPIRED : s));
    } catch (err) {
      // Claimed rows stay in flight under their lease and are re-queued when it expires.
      this.#log.error({ err }, 'async dispatcher could not claim or start events');
      return;
    }
    events.forEach((event, i) => this.#begin(event, starts[i]));
  }

  #begin(event: AsyncEvent, start: StartedAttempt | typeof EXPIRED | undefined): void {
    const slot: Slot = { event, done: Promise.resolve(), abandoned: false, controller: new AbortController() };
    slot.done = this.#run(slot, start)
      .catch((err: unknown) => {
        // A store failure while settling: the row stays in flight and is retried after recovery.
        this.#log.error({ err, eventId: event.eventId }, 'async attempt could not be settled');
      })
      .finally(() => {
        if (this.#slots.get(event.eventId) === slot) this.#slots.delete(event.eventId);
        this.wake();
      });
    this.#slots.set(event.eventId, slot);
  }

  /** One claimed event: expired (finished without running), a stale claim (undefined), or an attempt to run. */
  async #run(slot: Slot, started: StartedAttempt | typeof EXPIRED | undefined): Promise<void> {
    const claimed = slot.event;
    if (started === EXPIRED) {
      this.#counters.expiredBeforeAttempt++;
      await this.#finish(slot, claimed, DestinationCondition.EventAgeExceeded, DeadLetterReason.EventAgeExceeded, undefined);
      return;
    }
    if (!started) {
      this.#counters.staleSettles++;
      return;
    }
    this.#counters.attempts++;
    if (started.duplicate) this.#counters.duplicates++;
    const event: AsyncEvent = { ...claimed, attempt: started.attempt, attemptOpen: true };
    const outcome = await this.#attempt(slot, event, started.duplicate);
    if (slot.abandoned) return;
    this.#count(outcome);
    const now = this.#clock.now();
    const decision = decideAfterAttempt(event, outcome, now, this.#rules);
    if (decision.action === 'finish') {
      await this.#finish(slot, event, decision.condition, decision.reason, outcome);
      return;
    }
    if (decision.regime === 'function-error') this.#counters.retries++;
    else this.#counters.backoffs++;
    const ok = this.#store.reschedule(event.eventId, decision.nextAttemptAt, {
      claimToken: event.claimToken,
      retriesOnError: decision.retriesOnError,
      backoffs: decision.backoffs,
      ...optional('lastError', lastErrorOf(outcome, now)),
      attemptMayHaveRun: outcome.kind === 'platform-error' && outcome.mayHaveRun === true,
    });
    if (!ok) this.#counters.staleSettles++;
  }

  /** Calls `invoke` under the attempt timeout; a throw or timeout becomes a platform error that may have run. */
  async #attempt(slot: Slot, event: AsyncEvent, duplicate = false): Promise<AttemptOutcome> {
    let timer: TimerHandle | undefined;
    const timeout = new Promise<AttemptOutcome>((resolve) => {
      timer = this.#clock.setTimeout(() => {
        slot.controller.abort(new Error('async attempt timed out'));
        resolve({ kind: 'platform-error', code: 'ATTEMPT_TIMEOUT', message: `no outcome after ${this.options.attemptTimeoutMs} ms`, mayHaveRun: true });
      }, this.options.attemptTimeoutMs);
    });
    try {
      const outcome = await Promise.race([this.#invoke(event, event.attempt, { signal: slot.controller.signal, duplicate }), timeout]);
      if (!KNOWN_OUTCOMES.has((outcome as { kind?: unknown } | null)?.kind as string)) {
        return { kind: 'platform-error', code: 'INVALID_OUTCOME', message: `invoke returned ${JSON.stringify(outcome)}`, mayHaveRun: true };
      }
      return outcome;
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      return {
        kind: 'platform-error',
        code: typeof code === 'string' ? code : 'INVOKE_FAILED',
        message: err instanceof Error ? err.message : String(err),
        // Unknown whether it ran: count the next delivery as a possible duplicate.
        mayHaveRun: true,
      };
    } finally {
      if (timer) this.#clock.clearTimeout(timer);
    }
  }

  #count(outcome: AttemptOutcome): void {
    if (outcome.kind === 'success') this.#counters.successes++;
    else if (outcome.kind === 'function-error') this.#counters.functionErrors++;
    else if (outcome.kind === 'throttled') this.#counters.throttles++;
    else this.#counters.platformErrors++;
  }

  /** Ends an event: record to its destination, or to the dead-letter store; then marks it finished. */
  async #finish(slot: Slot, event: AsyncEvent, condition: DestinationCondition, reason: string, outcome: AttemptOutcome | undefined): Promise<void> {
    const at = this.#clock.now();
    const lastError = outcome && lastErrorOf(outcome, at);
    const record = buildDestinationRecord({
      event,
      condition,
      at,
      functionArn: functionArn({ region: this.options.region, accountId: this.options.accountId }, event.functionName, event.qualifier),
      ...optional('outcome', outcome),
      ...optional('lastError', lastError),
    });
    const fence = { claimToken: event.claimToken, ...optional('lastError', lastError) };
    const target = condition === DestinationCondition.Success ? event.onSuccess : event.onFailure;
    let deadLetterReason = reason;
    if (target !== undefined && target !== DEAD_LETTER_DESTINATION) {
      let delivered = false;
      try {
        await this.#deliver(target, record, event);
        this.#counters.destinationDeliveries++;
        delivered = true;
      } catch (err) {
        this.#counters.destinationFailures++;
        this.#log.warn({ err, eventId: event.eventId, destination: target, condition }, 'async destination delivery failed');
        deadLetterReason = isAsyncQueueError(err, AsyncQueueErrorCode.RecursiveInvocation)
          ? DeadLetterReason.RecursiveInvocation
          : DeadLetterReason.DestinationDeliveryFailed;
      }
      // Outside the try: a store failure while completing is not a failed delivery (the row stays in
      // flight and is re-delivered, rather than dead-lettered after its record was delivered).
      if (delivered) {
        if (slot.abandoned) return;
        this.#settled(await this.#store.completeSoon(event.eventId, { condition, at, ...fence }), condition);
        return;
      }
    }
    if (slot.abandoned) return;
    if (condition === DestinationCondition.Success) {
      // A success whose on-success record could not be delivered is still a success: Lambda counts a
      // DestinationDeliveryFailure and drops the record. It is not dead-lettered, because a redrive
      // of it would run a delivered event again.
      this.#settled(await this.#store.completeSoon(event.eventId, { condition, at, ...fence }), condition);
      return;
    }
    const ok = this.#store.deadLetter(event.eventId, { condition, reason: deadLetterReason, record, at, ...fence });
    this.#settled(ok, condition);
    if (!ok) return;
    this.#counters.deadLettered[deadLetterReason] = (this.#counters.deadLettered[deadLetterReason] ?? 0) + 1;
    this.#log.warn({ eventId: event.eventId, function: event.functionName, condition, reason: deadLetterReason, attempts: event.attempt }, 'async event dead-lettered');
  }

  #settled(ok: boolean, condition: DestinationCondition): void {
    if (ok) this.#counters.finished[condition]++;
    else this.#counters.staleSettles++;
  }

  #renewLeases(): void {
    if (this.#state !== LifecycleState.Running) return;
    const now = this.#clock.now();
    try {
      const held = [...this.#slots.values()].map((s) => ({ eventId: s.event.eventId, claimToken: s.event.claimToken }));
      if (held.length > 0) this.#store.renewLeases(held, now + this.options.scaledLeaseMs);
      // Leases we hold were just renewed; any other expired lease belongs to an attempt that stalled
      // past its lease: put the event back (at-least-once), the store's fencing refuses its late settle.
      this.#store.recoverExpiredLeases(now);
    } catch (err) {
      this.#log.error({ err }, 'async dispatcher could not renew leases');
    }
  }
}

const KNOWN_OUTCOMES: ReadonlySet<string> = new Set(['success', 'function-error', 'throttled', 'platform-error']);

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
