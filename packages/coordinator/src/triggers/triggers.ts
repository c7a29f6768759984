import { join } from 'node:path';
import type { BrokenSafety, Clock, Entropy, Logger } from '@zonesim/common';
import { asyncSettingsOf, type AsyncInvocations } from '../async-invocations.js';
import type { SigV4Verifier } from '../auth/sigv4-verifier.js';
import type { InvocationPipeline } from '../invocation/invocation-pipeline.js';
import type { QueueService } from '../queues/queue-service.js';
import type { Registry } from '../registry/registry.js';
import { EventSourceMappings } from './event-source-mappings.js';
import { FunctionUrls } from './function-urls.js';
import { ScaledTime } from './scaled-time.js';
import { Schedules } from './schedules.js';
import { TriggerInvoker } from './trigger-invoker.js';
import { TriggerStore } from './trigger-store.js';

/** What the triggers need from the coordinator. */
export interface TriggersComponents {
  registry: Registry;
  /** Runs the triggers' invocations (and records them). */
  pipeline: InvocationPipeline;
  queues: QueueService;
  asyncInvocations: AsyncInvocations;
  clock: Clock;
  entropy: Entropy;
  log: Logger;
  /** Checks `AWS_IAM` function URLs' signatures when authentication is on. */
  verifier?: SigV4Verifier | undefined;
  /** Safety switched off (explore's self-test, issue 19). @default none */
  broken?: BrokenSafety;
}

/** Settings of the triggers. */
export interface TriggersSettings {
  dataDir: string;
  region: string;
  accountId: string;
  /** The platform's time scale: schedules follow it; pollers scale up that much faster. */
  timeScale: number;
  /** The coordinator's base URL, once it listens (function URLs are served under it). */
  baseUrl: () => string;
  /** Most bytes a `RESPONSE_STREAM` function URL's response may have. */
  streamResponseLimitBytes?: number;
}

/**
 * Everything that invokes functions on its own (issue 7): event source mappings from the built-in
 * queues, schedules, function URLs. Their configuration lives in `<dataDir>/triggers.db`; their
 * invocations go through the invocation pipeline like any other, so concurrency, placement,
 * failover and the ledger apply (schedules through the async path, as EventBridge invokes).
 */
export class Triggers {
  readonly mappings: EventSourceMappings;
  readonly urls: FunctionUrls;
  readonly schedules: Schedules;
  readonly time: ScaledTime;
  readonly #store: TriggerStore;
  #started = false;

  constructor(settings: TriggersSettings, c: TriggersComponents) {
    const account = { region: settings.region, accountId: settings.accountId };
    this.#store = new TriggerStore(join(settings.dataDir, 'triggers.db'));
    const invoker = new TriggerInvoker({ pipeline: c.pipeline });
    const invoke = invoker.invoke.bind(invoker);
    this.time = new ScaledTime(c.clock.now(), settings.timeScale);
    this.mappings = new EventSourceMappings({ store: this.#store, registry: c.registry, queues: c.queues, invoke, clock: c.clock, entropy: c.entropy, log: c.log, account, timeScale: settings.timeScale, ...(c.broken ? { broken: c.broken } : {}) });
    this.urls = new FunctionUrls({ store: this.#store, registry: c.registry, invoke, clock: c.clock, entropy: c.entropy, log: c.log, account, baseUrl: settings.baseUrl, verifier: c.verifier, ...(settings.streamResponseLimitBytes === undefined ? {} : { streamLimitBytes: settings.streamResponseLimitBytes }) });
    this.schedules = new Schedules({
      store: this.#store,
      registry: c.registry,
      clock: c.clock,
      entropy: c.entropy,
      time: this.time,
      log: c.log,
      account,
      // EventBridge invokes asynchronously: the durable async path with the function's own settings.
      fire: async (s, payload) => {
        let config;
        try {
          config = asyncSettingsOf(c.registry.get(s.functionName).eventInvokeConfig);
        } catch {
          config = {};
        }
        await c.asyncInvocations.accept({ eventId: c.entropy.uuid(), functionName: s.functionName, qualifier: s.qualifier ?? '$LATEST', payload, ...config });
      },
    });
  }

  /** Loads the configuration; starts pollers and schedules. Part of the coordinator's start. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#store.open();
    this.urls.start();
    this.schedules.start();
    this.mappings.start();
  }

  /** Stops schedules and pollers (batches being invoked finish), then closes the store. */
  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.schedules.stop();
    await this.mappings.stop();
    this.#store.close();
  }
}
