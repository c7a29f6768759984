import type { Clock, Entropy, Logger, TimerHandle } from '@zonesim/common';
import type { ScaledTime } from './scaled-time.js';
import { parseScheduleExpression, type ScheduleExpression } from './schedule-expression.js';

/** A schedule: an expression and the function it invokes asynchronously. */
export interface ScheduleRecord {
  name: string;
  /** `rate(...)` or `cron(...)` (EventBridge syntax, UTC, in scaled time). */
  expression: string;
  functionName: string;
  /** Version or alias; absent = `$LATEST`. */
  qualifier?: string;
  /** JSON text sent instead of the scheduled event (EventBridge's target `Input`). */
  input?: string;
  state: 'ENABLED' | 'DISABLED';
  description?: string;
  /** Real epoch ms. */
  createdAt: number;
  lastModified: number;
}

/** Lambda's EventBridge scheduled event (lambda-facts 7.2). */
export interface ScheduledEvent {
  version: '0';
  id: string;
  'detail-type': 'Scheduled Event';
  source: 'aws.events';
  account: string;
  /** The scheduled (scaled) time, ISO 8601 to the second. */
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, never>;
}

/** How a schedule fared, for the admin API. */
export interface ScheduleStatus {
  /** Scaled epoch ms of the next fire, if any. */
  nextFireAt?: number;
  lastFireAt?: number;
  fires: number;
  failures: number;
  /** Slots skipped because the timer came more than {@link MAX_CATCH_UP} slots late. */
  skipped: number;
  lastError?: string;
}

/** Hands one scheduled event to the async path; rejects when it could not be accepted. */
export type FireSchedule = (schedule: ScheduleRecord, payload: Buffer, scheduledAt: number) => Promise<void>;

/** Missed slots a late timer still fires (in order); beyond it they are skipped and counted. */
export const MAX_CATCH_UP = 16;

/** Longest single timer: far fires re-arm (Node timers overflow past 2^31 ms). */
const MAX_TIMER_MS = 60 * 60_000;

interface Armed {
  record: ScheduleRecord;
  expr: ScheduleExpression;
  timer: TimerHandle | undefined;
  status: ScheduleStatus;
}

/**
 * Fires schedules at their times on the platform's scaled clock ({@link ScaledTime}): one timer per
 * enabled schedule, armed for the real moment its next scaled fire time comes. A fire hands
 * Lambda's scheduled event to `fire` (the coordinator's durable async path, so async retries and
 * destinations apply, as for EventBridge). Every slot fires once, in order, with its own scheduled
 * time: a timer that comes late (a busy event loop, or a time scale whose slots are shorter than
 * the loop's jitter) fires the slots it missed, up to {@link MAX_CATCH_UP}; past that the rest are
 * skipped and counted, so a long stall does not release a flood of old fires.
 */
export class Scheduler {
  readonly #clock: Clock;
  readonly #entropy: Entropy;
  readonly #time: ScaledTime;
  readonly #fire: FireSchedule;
  readonly #log: Logger;
  readonly #account: { region: string; accountId: string };
  readonly #armed = new Map<string, Armed>();
  #running = false;

  constructor(args: { clock: Clock; entropy: Entropy; time: ScaledTime; fire: FireSchedule; log: Logger; account: { region: string; accountId: string } }) {
    this.#clock = args.clock;
    this.#entropy = args.entropy;
    this.#time = args.time;
    this.#fire = args.fire;
    this.#log = args.log;
    this.#account = args.account;
  }

  start(records: readonly ScheduleRecord[]): void {
    this.#running = true;
    for (const r of records) this.put(r);
  }

  stop(): void {
    this.#running = false;
    for (const a of this.#armed.values()) this.#disarm(a);
  }

  /** Adds or replaces a schedule (its expression was checked by the caller). */
  put(record: ScheduleRecord): void {
    const old = this.#armed.get(record.name);
    if (old) this.#disarm(old);
    const a: Armed = { record, expr: parseScheduleExpression(record.expression), timer: undefined, status: old?.status ?? { fires: 0, failures: 0, skipped: 0 } };
    this.#armed.set(record.name, a);
    this.#arm(a, this.#time.scaled(this.#clock.now()));
  }

  remove(name: string): void {
    const a = this.#armed.get(name);
    if (a) this.#disarm(a);
    this.#armed.delete(name);
  }

  status(name: string): ScheduleStatus | undefined {
    const s = this.#armed.get(name)?.status;
    return s && { ...s };
  }

  /** The event a fire at scaled time `at` sends (unless the schedule has its own input). */
  event(record: ScheduleRecord, at: number): ScheduledEvent {
    const { region, accountId } = this.#account;
    return {
      version: '0',
      id: this.#entropy.uuid(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: accountId,
      time: new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
      region,
      resources: [`arn:aws:events:${region}:${accountId}:rule/${record.name}`],
      detail: {},
    };
  }

  #arm(a: Armed, afterScaled: number): void {
    if (!this.#running || a.record.state !== 'ENABLED') {
      delete a.status.nextFireAt;
      return;
    }
    const next = this.#nextAfter(a, afterScaled);
    if (next === undefined) {
      delete a.status.nextFireAt;
      return;
    }
    a.status.nextFireAt = next;
    const wait = this.#time.real(next) - this.#clock.now();
    a.timer = this.#clock.setTimeout(() => {
      a.timer = undefined;
      if (wait > MAX_TIMER_MS && this.#time.real(next) > this.#clock.now()) {
        this.#arm(a, afterScaled);
        return;
      }
      this.#fireNow(a, next);
    }, Math.max(0, Math.min(wait, MAX_TIMER_MS)));
  }

  #fireNow(a: Armed, slot: number): void {
    const nowScaled = this.#time.scaled(this.#clock.now());
    this.#fireSlot(a, slot);
    // Slots the timer came too late for fire now, in order, up to the catch-up bound.
    let last = slot;
    for (let caught = 0; caught < MAX_CATCH_UP; caught++) {
      const next = this.#nextAfter(a, last);
      if (next === undefined || next > nowScaled) break;
      this.#fireSlot(a, next);
      last = next;
    }
    const missed = this.#nextAfter(a, last);
    if (missed !== undefined && missed <= nowScaled) {
      let n = 0;
      for (let t: number | undefined = missed; t !== undefined && t <= nowScaled && n < 1_000_000; t = this.#nextAfter(a, t)) n++;
      a.status.skipped += n;
      this.#log.warn({ schedule: a.record.name, skipped: n }, 'schedule timer came too late: slots skipped');
      last = nowScaled;
    }
    this.#arm(a, last);
  }

  #fireSlot(a: Armed, slot: number): void {
    a.status.fires++;
    a.status.lastFireAt = slot;
    const payload = Buffer.from(a.record.input ?? JSON.stringify(this.event(a.record, slot)));
    this.#fire(a.record, payload, slot).catch((err: unknown) => {
      a.status.failures++;
      a.status.lastError = (err as Error).message.slice(0, 500);
      this.#log.warn({ schedule: a.record.name, err: (err as Error).message }, 'a scheduled invocation could not be accepted');
    });
  }

  #nextAfter(a: Armed, scaled: number): number | undefined {
    return a.expr.kind === 'rate' ? a.expr.nextAfter(scaled, this.#time.scaled(a.record.createdAt)) : a.expr.nextAfter(scaled);
  }

  #disarm(a: Armed): void {
    if (a.timer !== undefined) this.#clock.clearTimeout(a.timer);
    a.timer = undefined;
  }
}
