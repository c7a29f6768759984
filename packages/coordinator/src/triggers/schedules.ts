import type { Clock, Entropy, Logger } from '@zonesim/common';
import { LambdaApiError, invalidParameter } from '../errors.js';
import { functionArn, parseFunctionRef } from '../registry/function-name.js';
import type { Registry } from '../registry/registry.js';
import type { ScaledTime } from './scaled-time.js';
import { parseScheduleExpression } from './schedule-expression.js';
import { Scheduler, type FireSchedule, type ScheduleRecord } from './scheduler.js';
import type { TriggerStore } from './trigger-store.js';

/** EventBridge's rule name pattern. */
const NAME = /^[0-9a-zA-Z._-]{1,64}$/;
/** Most schedules kept (a bound, like every other collection). */
export const MAX_SCHEDULES = 1_000;

const notFound = (name: string): LambdaApiError => new LambdaApiError('ResourceNotFoundException', 404, `Schedule ${name} does not exist.`);

/**
 * Schedules (EventBridge `rate(...)` / `cron(...)` expressions) through zonesim's admin API
 * (`/zonesim/v1/schedules/{name}`), persisted in `triggers.db` and fired by a {@link Scheduler} on
 * the platform's scaled clock. Each fire is an asynchronous invocation with Lambda's scheduled
 * event, as EventBridge makes it.
 */
export class Schedules {
  readonly #records = new Map<string, ScheduleRecord>();
  readonly #store: TriggerStore;
  readonly #registry: Registry;
  readonly #clock: Clock;
  readonly #time: ScaledTime;
  readonly #scheduler: Scheduler;
  readonly #account: { region: string; accountId: string };

  constructor(args: { store: TriggerStore; registry: Registry; clock: Clock; entropy: Entropy; time: ScaledTime; log: Logger; account: { region: string; accountId: string }; fire: FireSchedule }) {
    this.#store = args.store;
    this.#registry = args.registry;
    this.#clock = args.clock;
    this.#time = args.time;
    this.#account = args.account;
    this.#scheduler = new Scheduler({ clock: args.clock, entropy: args.entropy, time: args.time, fire: args.fire, log: args.log, account: args.account });
  }

  start(): void {
    for (const r of this.#store.all<ScheduleRecord>('schedules')) this.#records.set(r.name, r);
    this.#scheduler.start([...this.#records.values()]);
  }

  stop(): void {
    this.#scheduler.stop();
  }

  /** Creates or replaces a schedule. */
  put(name: string, body: Record<string, unknown>): Record<string, unknown> {
    if (!NAME.test(name)) throw invalidParameter('A schedule name is 1-64 letters, digits, ".", "_" or "-".');
    const expression = body['ScheduleExpression'];
    if (typeof expression !== 'string') throw invalidParameter('ScheduleExpression is required: rate(...) or cron(...).');
    try {
      parseScheduleExpression(expression);
    } catch (err) {
      throw invalidParameter(`Parameter ScheduleExpression is not valid: ${(err as Error).message}`);
    }
    const fnRaw = body['FunctionName'];
    if (typeof fnRaw !== 'string' || fnRaw === '') throw invalidParameter('FunctionName is required.');
    const ref = parseFunctionRef(fnRaw, undefined, this.#account);
    this.#registry.get(ref.name, ref.qualifier);
    const input = body['Input'];
    if (input !== undefined && input !== null) {
      if (typeof input !== 'string') throw invalidParameter('Input is a JSON text (a string).');
      try {
        JSON.parse(input);
      } catch {
        throw invalidParameter('Input must be valid JSON.');
      }
    }
    const state = body['State'] ?? 'ENABLED';
    if (state !== 'ENABLED' && state !== 'DISABLED') throw invalidParameter('State must be ENABLED or DISABLED.');
    const old = this.#records.get(name);
    if (!old && this.#records.size >= MAX_SCHEDULES) throw new LambdaApiError('ResourceConflictException', 409, `zonesim keeps at most ${MAX_SCHEDULES} schedules.`);
    const now = this.#clock.now();
    const r: ScheduleRecord = {
      name,
      expression: expression.trim(),
      functionName: ref.name,
      ...(ref.qualifier !== undefined ? { qualifier: ref.qualifier } : {}),
      ...(typeof input === 'string' ? { input } : {}),
      state,
      ...(typeof body['Description'] === 'string' ? { description: body['Description'].slice(0, 512) } : {}),
      // A changed rate starts over from now; an unchanged one keeps its phase.
      createdAt: old && old.expression === expression.trim() ? old.createdAt : now,
      lastModified: now,
    };
    this.#store.put('schedules', name, r);
    this.#records.set(name, r);
    this.#scheduler.put(r);
    return this.#view(r);
  }

  get(name: string): Record<string, unknown> {
    const r = this.#records.get(name);
    if (!r) throw notFound(name);
    return this.#view(r);
  }

  list(): Record<string, unknown> {
    return { Schedules: [...this.#records.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((r) => this.#view(r)), Now: new Date(this.#time.scaled(this.#clock.now())).toISOString(), TimeScale: this.#time.scale };
  }

  delete(name: string): void {
    if (!this.#records.has(name)) throw notFound(name);
    this.#scheduler.remove(name);
    this.#records.delete(name);
    this.#store.remove('schedules', name);
  }

  #view(r: ScheduleRecord): Record<string, unknown> {
    const s = this.#scheduler.status(r.name);
    const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
    return {
      Name: r.name,
      Arn: `arn:aws:events:${this.#account.region}:${this.#account.accountId}:rule/${r.name}`,
      ScheduleExpression: r.expression,
      FunctionArn: functionArn(this.#account, r.functionName, r.qualifier),
      State: r.state,
      ...(r.input !== undefined ? { Input: r.input } : {}),
      ...(r.description !== undefined ? { Description: r.description } : {}),
      CreationDate: iso(r.createdAt),
      LastModificationDate: iso(r.lastModified),
      // Scaled times: the platform clock the schedule follows.
      ...(s?.nextFireAt !== undefined ? { NextFireAt: iso(s.nextFireAt) } : {}),
      ...(s?.lastFireAt !== undefined ? { LastFireAt: iso(s.lastFireAt) } : {}),
      Fires: s?.fires ?? 0,
      Failures: s?.failures ?? 0,
      ...(s?.lastError ? { LastError: s.lastError } : {}),
    };
  }
}
