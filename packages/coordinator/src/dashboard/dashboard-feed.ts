import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock, Logger, TimerHandle } from '@zonesim/common';
import type { LedgerRecord } from '@zonesim/ledger';
import { FEED_VERSION, type FaultWindowView, type FeedHello, type FeedUpdate, type NotableInvocation, type Tick } from '@zonesim/dashboard';
import type { AsyncInvocations } from '../async-invocations.js';
import { LambdaApiError } from '../errors.js';
import type { FaultWindows } from '../chaos/fault-windows.js';
import type { InvocationLedger } from '../ledger/invocation-ledger.js';
import type { Membership } from '../membership/membership.js';
import type { RouteTrace } from '../router/router.js';
import type { ClusterControl } from '../supervisor/cluster-control.js';
import type { ResolvedDashboardOptions } from './dashboard-options.js';
import { RequestIndex, attemptZone } from './request-index.js';
import { SseHub, type SseHubStats } from './sse-hub.js';
import { TickAggregator } from './tick-aggregator.js';
import { TopologyBuilder } from './topology-builder.js';

/** Notable invocations sent per update (the rest are still in the index and the list endpoint). */
const MAX_NOTABLE_PER_UPDATE = 50;
/** Notable invocations a new page gets. */
const MAX_NOTABLE_KEPT = 200;
/** Fault windows a page gets. */
const MAX_FAULTS = 100;
/** The async store's counts are read at most this often (a COUNT over the events table). */
const ASYNC_SAMPLE_MS = 1_000;

/** What the feed reads from the coordinator. */
export interface DashboardFeedDeps {
  ledger: InvocationLedger;
  membership: Membership;
  asyncInvocations: AsyncInvocations;
  faults: FaultWindows;
  control: ClusterControl;
  region: string;
  clock: Clock;
  log: Logger;
}

/**
 * The live dashboard's feed (issue 9). Every ledger record is folded into the current tick (O(1))
 * and indexed for "explain"; once per `intervalMs` the tick is closed and one message goes to every
 * connected page: the tick's counts per zone, the topology, the fault windows and the controls.
 * The message rate is fixed by the interval, never by the invocation rate, so a page stays
 * responsive at thousands of invocations per second.
 */
export class DashboardFeed {
  readonly index: RequestIndex;
  readonly #settings: ResolvedDashboardOptions;
  readonly #deps: DashboardFeedDeps;
  readonly #hub: SseHub;
  readonly #topology: TopologyBuilder;
  readonly #aggregator: TickAggregator;
  readonly #history: Tick[] = [];
  readonly #maxHistory: number;
  #notable: NotableInvocation[] = [];
  #fresh: NotableInvocation[] = [];
  #timer: TimerHandle | undefined;
  #asyncAt = -Infinity;
  #asyncQueued: number | null = null;
  #deadLetters: number | null = null;
  #listening = false;
  #stopped = false;

  constructor(settings: ResolvedDashboardOptions, deps: DashboardFeedDeps) {
    this.#settings = settings;
    this.#deps = deps;
    this.index = new RequestIndex({ maxRecent: settings.recentRequestIds, maxNotable: settings.notableRequestIds });
    this.#hub = new SseHub({ maxClients: settings.maxClients, maxBufferedBytes: settings.maxClientBufferedBytes, stallMs: settings.clientStallMs }, deps.clock);
    this.#topology = new TopologyBuilder(
      { region: deps.region, maxEnvironmentsPerNode: settings.maxEnvironmentsPerNode, evictedShowMs: settings.evictedShowMs, ghostNodeMs: settings.ghostNodeMs },
      { membership: deps.membership, clock: deps.clock },
    );
    this.#aggregator = new TickAggregator(deps.clock.now());
    this.#maxHistory = Math.ceil((settings.historySeconds * 1000) / settings.intervalMs);
  }

  get stats(): SseHubStats & { index: { recent: number; notable: number } } {
    return { ...this.#hub.stats, index: this.index.size };
  }

  /** Recent notable invocations, newest last. */
  notable(): NotableInvocation[] {
    return [...this.#notable];
  }

  start(): void {
    if (!this.#listening) {
      this.#listening = true;
      this.#deps.ledger.onRecord((r, trace) => this.#onRecord(r, trace));
    }
    this.#timer ??= this.#deps.clock.setInterval(() => this.#tick(), this.#settings.intervalMs);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#deps.clock.clearInterval(this.#timer);
    this.#timer = undefined;
    this.#hub.closeAll();
  }

  /**
   * `GET /zonesim/v1/dashboard/events`: a page's event stream. Refused (503) when too many pages are
   * connected, or once the coordinator is stopping (a page reconnecting at once must not hold the
   * graceful stop open).
   */
  connect(req: IncomingMessage, res: ServerResponse, requestId: string): void {
    if (this.#stopped) throw new LambdaApiError('ServiceException', 503, 'The coordinator is stopping.');
    const controls = this.#deps.control.view();
    const hello: FeedHello = {
      type: 'hello',
      v: FEED_VERSION,
      region: this.#deps.region,
      intervalMs: this.#settings.intervalMs,
      history: this.#history,
      topology: this.#topology.build(controls),
      faults: this.#faults(),
      controls,
      notable: this.#notable,
    };
    if (!this.#hub.add(req, res, JSON.stringify(hello), requestId)) {
      throw new LambdaApiError('ServiceException', 503, `Too many dashboard pages are connected (${this.#settings.maxClients}).`);
    }
  }

  #onRecord(r: LedgerRecord, trace: RouteTrace | undefined): void {
    const { entry, notable, failover } = this.index.add(r, trace);
    const steps = entry.attempts[entry.attempts.length - 1]?.steps;
    const zone = attemptZone(r, steps);
    this.#aggregator.add(r, zone, failover);
    if (notable) this.#remember({ requestId: r.requestId, functionName: r.functionName, kind: notable, at: r.respondedAt, ...(zone ? { zone } : {}) });
  }

  #remember(n: NotableInvocation): void {
    if (this.#fresh.length < MAX_NOTABLE_PER_UPDATE) this.#fresh.push(n);
    this.#notable.push(n);
    if (this.#notable.length > MAX_NOTABLE_KEPT * 2) this.#notable = this.#notable.slice(-MAX_NOTABLE_KEPT);
  }

  #tick(): void {
    try {
      const now = this.#deps.clock.now();
      this.#sampleAsync(now);
      const tick = this.#aggregator.take(now, { asyncQueued: this.#asyncQueued, deadLetters: this.#deadLetters, costUsd: this.#deps.ledger.billing.totalUsd() });
      this.#history.push(tick);
      if (this.#history.length > this.#maxHistory) this.#history.splice(0, this.#history.length - this.#maxHistory);
      if (this.#notable.length > MAX_NOTABLE_KEPT) this.#notable = this.#notable.slice(-MAX_NOTABLE_KEPT);
      const notable = this.#fresh;
      this.#fresh = [];
      // Without a page, the tick still goes to the history; nothing else is built.
      if (this.#hub.size === 0) return;
      const controls = this.#deps.control.view();
      const update: FeedUpdate = { type: 'update', tick, topology: this.#topology.build(controls), faults: this.#faults(), controls, notable };
      this.#hub.broadcast(JSON.stringify(update));
    } catch (err) {
      this.#deps.log.error({ err: (err as Error).message }, 'dashboard tick failed');
    }
  }

  /** Queue depth and dead letters, at most once a second; new dead letters become notable. */
  #sampleAsync(now: number): void {
    if (now - this.#asyncAt < ASYNC_SAMPLE_MS) return;
    this.#asyncAt = now;
    let stats;
    try {
      stats = this.#deps.asyncInvocations.store.stats();
    } catch {
      return; // not running (starting or stopping)
    }
    this.#asyncQueued = stats.queued + stats.inFlight;
    const before = this.#deadLetters;
    this.#deadLetters = stats.dead;
    if (before === null || stats.dead <= before) return;
    const fresh = Math.min(stats.dead - before, 20);
    for (const d of this.#deps.asyncInvocations.store.listDeadLetters({ offset: Math.max(0, stats.dead - fresh), limit: fresh })) {
      const entry = this.index.get(d.eventId);
      if (entry) this.index.mark(entry, 'dead-lettered');
      this.#remember({ requestId: d.eventId, functionName: d.functionName, kind: 'dead-lettered', at: d.deadAt });
    }
  }

  #faults(): FaultWindowView[] {
    const since = this.#deps.clock.now() - this.#settings.historySeconds * 1000;
    const out: FaultWindowView[] = [];
    for (const w of this.#deps.faults.list()) {
      if ((w.endAt ?? Infinity) < since) continue;
      out.push({ id: w.id, action: w.action, target: w.target, startAt: w.startAt, ...(w.endAt !== undefined ? { endAt: w.endAt } : {}) });
      if (out.length >= MAX_FAULTS) break;
    }
    return out;
  }
}
