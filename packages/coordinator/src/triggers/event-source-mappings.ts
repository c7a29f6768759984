import type { BrokenSafety, Clock, Entropy, Logger } from '@zonesim/common';
import { LambdaApiError, invalidParameter, resourceConflict, validationError } from '../errors.js';
import type { QueueService } from '../queues/queue-service.js';
import { parseFunctionRef } from '../registry/function-name.js';
import type { Registry } from '../registry/registry.js';
import {
  checkBatching,
  parseMappingSettings,
  SQS_MAPPING_DEFAULTS,
  toMappingResponse,
  type EventSourceMappingRecord,
} from './event-source-mapping.js';
import { SqsPoller, type PollerStats } from './sqs-poller.js';
import type { TriggerInvocation, TriggerOutcome } from './trigger-invoker.js';
import type { TriggerStore } from './trigger-store.js';

/** Most mappings listed per page (Lambda's MaxItems bound). */
const MAX_LIST_ITEMS = 10_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const notFound = (): LambdaApiError => new LambdaApiError('ResourceNotFoundException', 404, 'The resource you requested does not exist.');

/**
 * Lambda's event source mappings for SQS queues of the built-in queue service: the control plane
 * (Create/Get/Update/Delete/List with Lambda's shapes, checks and states) and one {@link SqsPoller}
 * per enabled mapping. Mappings are persisted in `triggers.db` and resume polling after a restart.
 * State transitions (`Creating` -> `Enabled`, `Updating`, `Disabling` -> `Disabled`, `Deleting`)
 * are answered first and completed right after, as Lambda answers 202 and settles asynchronously.
 */
export class EventSourceMappings {
  readonly #records = new Map<string, EventSourceMappingRecord>();
  readonly #pollers = new Map<string, SqsPoller>();
  readonly #store: TriggerStore;
  readonly #registry: Registry;
  readonly #queues: QueueService;
  readonly #invoke: (i: TriggerInvocation) => Promise<TriggerOutcome>;
  readonly #clock: Clock;
  readonly #entropy: Entropy;
  readonly #log: Logger;
  readonly #account: { region: string; accountId: string };
  readonly #timeScale: number;
  readonly #broken: BrokenSafety | undefined;
  #running = false;

  constructor(args: {
    store: TriggerStore;
    registry: Registry;
    queues: QueueService;
    invoke: (i: TriggerInvocation) => Promise<TriggerOutcome>;
    clock: Clock;
    entropy: Entropy;
    log: Logger;
    account: { region: string; accountId: string };
    timeScale: number;
    broken?: BrokenSafety;
  }) {
    this.#broken = args.broken;
    this.#entropy = args.entropy;
    this.#store = args.store;
    this.#registry = args.registry;
    this.#queues = args.queues;
    this.#invoke = args.invoke;
    this.#clock = args.clock;
    this.#log = args.log;
    this.#account = args.account;
    this.#timeScale = args.timeScale;
  }

  /** Loads the mappings and starts the enabled ones' pollers. */
  start(): void {
    this.#running = true;
    for (const r of this.#store.all<EventSourceMappingRecord>('event_source_mappings')) {
      // A transition a crash interrupted is completed now.
      if (r.state === 'Deleting') {
        this.#store.remove('event_source_mappings', r.uuid);
        continue;
      }
      r.state = r.enabled ? 'Enabled' : 'Disabled';
      this.#records.set(r.uuid, r);
      if (r.enabled) this.#poller(r).start();
    }
    if (this.#records.size > 0) this.#log.info({ mappings: this.#records.size }, 'event source mappings restored');
  }

  /** Stops every poller; batches being invoked finish. */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.allSettled([...this.#pollers.values()].map((p) => p.stop()));
  }

  /** CreateEventSourceMapping: 202 with State `Creating`. */
  create(body: Record<string, unknown>): Record<string, unknown> {
    const arn = body['EventSourceArn'];
    if (typeof arn !== 'string' || arn === '') throw invalidParameter('EventSourceArn is required.');
    const fn = this.#function(body['FunctionName']);
    const queue = this.#queues.byArn(arn);
    if (!queue) {
      if (!arn.startsWith('arn:aws:sqs:')) throw invalidParameter(`Unsupported event source type for ${arn.slice(0, 200)}: zonesim maps SQS queues of its queue service.`);
      throw invalidParameter(`Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue ${arn.slice(0, 200)} does not exist.`);
    }
    const settings = parseMappingSettings(body);
    const batchSize = settings.batchSize ?? SQS_MAPPING_DEFAULTS.batchSize;
    const windowSec = settings.maximumBatchingWindowInSeconds ?? SQS_MAPPING_DEFAULTS.maximumBatchingWindowInSeconds;
    checkBatching(batchSize, windowSec);
    this.#checkVisibility(queue.settings.VisibilityTimeout, fn.name, fn.qualifier);
    for (const r of this.#records.values()) {
      if (r.eventSourceArn === arn && r.functionName === fn.name && r.qualifier === fn.qualifier) {
        throw resourceConflict(`An event source mapping with SQS arn (" ${arn} ") and function (" ${fn.name} ") already exists. Please update or delete the existing mapping with UUID ${r.uuid}`);
      }
    }
    const enabled = settings.enabled ?? true;
    const record: EventSourceMappingRecord = {
      uuid: this.#entropy.uuid(),
      eventSourceArn: arn,
      functionName: fn.name,
      ...(fn.qualifier !== undefined ? { qualifier: fn.qualifier } : {}),
      batchSize,
      maximumBatchingWindowInSeconds: windowSec,
      functionResponseTypes: settings.functionResponseTypes ?? [],
      ...(settings.maximumConcurrency ? { maximumConcurrency: settings.maximumConcurrency } : {}),
      enabled,
      state: 'Creating',
      stateTransitionReason: 'USER_INITIATED',
      lastModified: this.#clock.now(),
    };
    this.#store.put('event_source_mappings', record.uuid, record);
    this.#records.set(record.uuid, record);
    const answer = toMappingResponse(record, this.#account);
    this.#settle(record.uuid);
    this.#log.info({ mapping: record.uuid, queue: queue.name, function: fn.name, batchSize, enabled }, 'event source mapping created');
    return answer;
  }

  get(uuid: string): Record<string, unknown> {
    return toMappingResponse(this.#get(uuid), this.#account);
  }

  /** UpdateEventSourceMapping: 202 with `Updating`, `Enabling` or `Disabling`. */
  update(uuid: string, body: Record<string, unknown>): Record<string, unknown> {
    const current = this.#get(uuid);
    if (current.state === 'Deleting') throw resourceConflict(`The resource you requested is currently in use: the mapping ${uuid} is being deleted.`);
    const settings = parseMappingSettings(body);
    const fn = body['FunctionName'] !== undefined ? this.#function(body['FunctionName']) : { name: current.functionName, qualifier: current.qualifier };
    const next: EventSourceMappingRecord = {
      ...current,
      functionName: fn.name,
      batchSize: settings.batchSize ?? current.batchSize,
      maximumBatchingWindowInSeconds: settings.maximumBatchingWindowInSeconds ?? current.maximumBatchingWindowInSeconds,
      functionResponseTypes: settings.functionResponseTypes ?? current.functionResponseTypes,
      enabled: settings.enabled ?? current.enabled,
      lastModified: this.#clock.now(),
    };
    if (fn.qualifier !== undefined) next.qualifier = fn.qualifier;
    else delete next.qualifier;
    if (settings.maximumConcurrency === null) delete next.maximumConcurrency;
    else if (settings.maximumConcurrency !== undefined) next.maximumConcurrency = settings.maximumConcurrency;
    checkBatching(next.batchSize, next.maximumBatchingWindowInSeconds);
    const queue = this.#queues.byArn(next.eventSourceArn);
    if (queue && body['FunctionName'] !== undefined) this.#checkVisibility(queue.settings.VisibilityTimeout, next.functionName, next.qualifier);
    next.state = next.enabled === current.enabled ? 'Updating' : next.enabled ? 'Enabling' : 'Disabling';
    this.#store.put('event_source_mappings', uuid, next);
    this.#records.set(uuid, next);
    const answer = toMappingResponse(next, this.#account);
    this.#settle(uuid);
    return answer;
  }

  /** DeleteEventSourceMapping: 202 with State `Deleting`; the pollers stop, then the mapping is gone. */
  delete(uuid: string): Record<string, unknown> {
    const r = this.#get(uuid);
    r.state = 'Deleting';
    r.lastModified = this.#clock.now();
    this.#store.put('event_source_mappings', uuid, r);
    const answer = toMappingResponse(r, this.#account);
    const poller = this.#pollers.get(uuid);
    this.#pollers.delete(uuid);
    void (poller ? poller.stop() : Promise.resolve()).then(() => {
      this.#records.delete(uuid);
      this.#store.remove('event_source_mappings', uuid);
      this.#log.info({ mapping: uuid }, 'event source mapping deleted');
    });
    return answer;
  }

  /** ListEventSourceMappings, filtered by function and/or queue, paged by `Marker`. */
  list(query: URLSearchParams): Record<string, unknown> {
    const fnRaw = query.get('FunctionName');
    const fn = fnRaw ? parseFunctionRef(fnRaw, undefined, this.#account) : undefined;
    const arn = query.get('EventSourceArn');
    const maxRaw = query.get('MaxItems');
    const max = maxRaw === null ? 100 : Number(maxRaw);
    if (!Number.isInteger(max) || max < 1 || max > MAX_LIST_ITEMS) throw validationError('maxItems', maxRaw, `Member must have value between 1 and ${MAX_LIST_ITEMS}`);
    const marker = query.get('Marker');
    const all = [...this.#records.values()]
      .filter((r) => (!fn || (r.functionName === fn.name && (fn.qualifier === undefined || r.qualifier === fn.qualifier))) && (!arn || r.eventSourceArn === arn))
      .sort((a, b) => (a.uuid < b.uuid ? -1 : 1));
    const from = marker ? all.findIndex((r) => r.uuid > marker) : 0;
    const page = from < 0 ? [] : all.slice(from, from + max);
    const more = from >= 0 && from + max < all.length;
    return { EventSourceMappings: page.map((r) => toMappingResponse(r, this.#account)), ...(more ? { NextMarker: page.at(-1)!.uuid } : {}) };
  }

  /** Every mapping with its pollers' counters, for the admin API and the scenario runner. */
  stats(): Array<{ uuid: string; functionName: string; eventSourceArn: string; state: string; pollers: PollerStats | undefined }> {
    return [...this.#records.values()].map((r) => ({ uuid: r.uuid, functionName: r.functionName, eventSourceArn: r.eventSourceArn, state: r.state, pollers: this.#pollers.get(r.uuid)?.stats }));
  }

  /** Completes a transition right after the answer: the mapping's pollers follow its `enabled`. */
  #settle(uuid: string): void {
    this.#clock.setTimeout(() => {
      const r = this.#records.get(uuid);
      if (!r || r.state === 'Deleting' || !this.#running) return;
      r.state = r.enabled ? 'Enabled' : 'Disabled';
      this.#store.put('event_source_mappings', uuid, r);
      const poller = this.#poller(r);
      poller.update(r);
      if (r.enabled) poller.start();
      else void poller.stop();
    }, 0);
  }

  #poller(r: EventSourceMappingRecord): SqsPoller {
    let p = this.#pollers.get(r.uuid);
    if (!p) {
      p = new SqsPoller(r, { queues: this.#queues, invoke: this.#invoke, clock: this.#clock, log: this.#log, timeScale: this.#timeScale, ...(this.#broken ? { broken: this.#broken } : {}) });
      this.#pollers.set(r.uuid, p);
    }
    return p;
  }

  #get(uuid: string): EventSourceMappingRecord {
    if (!UUID.test(uuid)) throw notFound();
    const r = this.#records.get(uuid);
    if (!r) throw notFound();
    return r;
  }

  #function(raw: unknown): { name: string; qualifier: string | undefined } {
    if (typeof raw !== 'string' || raw === '') throw invalidParameter('FunctionName is required.');
    const ref = parseFunctionRef(raw, undefined, this.#account);
    this.#registry.get(ref.name, ref.qualifier);
    return { name: ref.name, qualifier: ref.qualifier };
  }

  /** Lambda refuses a queue whose visibility timeout is shorter than the function's timeout. */
  #checkVisibility(visibilitySec: number, name: string, qualifier: string | undefined): void {
    const timeout = this.#registry.resolve(name, qualifier).timeout;
    if (visibilitySec < timeout) {
      throw invalidParameter(`Queue visibility timeout: ${visibilitySec} seconds is less than Function timeout: ${timeout} seconds`);
    }
  }
}
