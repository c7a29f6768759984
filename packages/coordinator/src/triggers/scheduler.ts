import { randomUUID } from 'node:crypto';
import type { Clock, Logger, TimerHandle } from '@zonesim/common';
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
  lastError?: string;
}

/** Hands one scheduled event to the async path; rejects when it could not be accepted. */
export type FireSchedule = (schedule: ScheduleRecord, payload: Buffer, scheduledAt: number) => Promise<void>;

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
 * destinations apply, as for EventBridge). A timer that comes late (a stalled event loop) fires
 * once for the latest slot and skips the ones it missed, as EventBridge does not catch up.
 */
export class Scheduler {
  readonly #clock: Clock;
  readonly #time: ScaledTime;
  readonly #fire: FireSchedule;
  readonly #log: Logger;
  readonly #account: { region: string; accountId: string };
  readonly #armed = new Map<string, Armed>();
  #running = false;

  constructor(args: { clock: Clock; time: ScaledTime; fire: FireSchedule; log: Logger; account: { region: string; accountId: string } }) {
    this.#clock = args.clock;
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
    const a: Armed = { record, expr: parseScheduleExpression(record.expression), timer: undefined, status: old?.status ?? { fires: 0, failures: 0 } };
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
      id: randomUUID(),
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
    const next = a.expr.kind === 'rate' ? a.expr.nextAfter(afterScaled, this.#time.scaled(a.record.createdAt)) : a.expr.nextAfter(afterScaled);
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
    a.status.fires++;
    a.status.lastFireAt = slot;
    const payload = Buffer.from(a.record.input ?? JSON.stringify(this.event(a.record, slot)));
    this.#fire(a.record, payload, slot).catch((err: unknown) => {
      a.status.failures++;
      a.status.lastError = (err as Error).message.slice(0, 500);
      this.#log.warn({ schedule: a.record.name, err: (err as Error).message }, 'a scheduled invocation could not be accepted');
    });
    // Missed slots (a late timer) are skipped: the next fire is the first after now.
    this.#arm(a, Math.max(slot, nowScaled));
  }

  #disarm(a: Armed): void {
    if (a.timer !== undefined) this.#clock.clearTimeout(a.timer);
    a.timer = undefined;
  }
}
