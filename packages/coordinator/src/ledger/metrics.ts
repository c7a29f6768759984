import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LedgerRecord } from '@zonesim/ledger';
import type { AsyncInvocations } from '../async-invocations.js';
import type { Membership } from '../membership/membership.js';
import type { ProvisionedConcurrency } from '../provisioned/provisioned-concurrency.js';
import type { Router } from '../router/router.js';
import type { InvocationLedger } from './invocation-ledger.js';

/** Latency buckets in seconds: 1 ms to 15 min (Lambda's longest timeout). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];

/**
 * The coordinator's Prometheus metrics (`GET /metrics`, text format 0.0.4), on a registry of its
 * own so two coordinators in one process never share counters. Counters and histograms follow the
 * ledger's records; gauges (zones, in-flight, queues, cost) are read when scraped. Label values are
 * bounded by the functions and zones that exist.
 */
export class CoordinatorMetrics {
  readonly registry = new Registry();
  readonly #invocations: Counter<'function' | 'zone' | 'outcome' | 'invocation_type'>;
  readonly #coldStarts: Counter<'function' | 'zone'>;
  readonly #throttles: Counter<'function' | 'reason'>;
  readonly #billedMs: Counter<'function'>;
  readonly #latency: Histogram<'function' | 'phase'>;

  constructor(args: {
    ledger: InvocationLedger;
    membership: Membership;
    router: Router;
    asyncInvocations: AsyncInvocations;
    provisioned: ProvisionedConcurrency;
  }) {
    const registers = [this.registry];
    this.#invocations = new Counter({
      name: 'zonesim_invocations_total',
      help: 'Invocation attempts by function, zone, outcome and invocation type',
      labelNames: ['function', 'zone', 'outcome', 'invocation_type'],
      registers,
    });
    this.#coldStarts = new Counter({ name: 'zonesim_cold_starts_total', help: 'Attempts that started a new execution environment', labelNames: ['function', 'zone'], registers });
    this.#throttles = new Counter({ name: 'zonesim_throttles_total', help: 'Throttled attempts (429) by reason', labelNames: ['function', 'reason'], registers });
    this.#billedMs = new Counter({ name: 'zonesim_billed_duration_ms_total', help: 'Sum of billed durations (Lambda rounding)', labelNames: ['function'], registers });
    this.#latency = new Histogram({
      name: 'zonesim_invocation_phase_seconds',
      help: 'Latency of attempts that ran, by phase (queue_wait, init, execution, end_to_end)',
      labelNames: ['function', 'phase'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    const { ledger, membership, router, asyncInvocations, provisioned } = args;
    new Gauge({
      name: 'zonesim_zone_up',
      help: '1 when the zone has a healthy or degraded node, 0 when it is suspect or down',
      labelNames: ['zone'],
      registers,
      collect() {
        this.reset();
        for (const z of membership.zones()) this.set({ zone: z.zone }, z.health === 'healthy' || z.health === 'degraded' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'zonesim_in_flight_invocations',
      help: 'Invocations on zone nodes now',
      registers,
      collect() {
        this.set(membership.sessions().reduce((n, s) => n + s.inFlight, 0));
      },
    });
    new Gauge({
      name: 'zonesim_waiting_invocations',
      help: 'Invocations waiting for capacity',
      registers,
      collect() {
        this.set(router.waiting);
      },
    });
    new Gauge({
      name: 'zonesim_async_events',
      help: 'Asynchronous events by state (queued, in_flight, dead)',
      labelNames: ['state'],
      registers,
      collect() {
        try {
          const s = asyncInvocations.store.stats();
          this.set({ state: 'queued' }, s.queued);
          this.set({ state: 'in_flight' }, s.inFlight);
          this.set({ state: 'dead' }, s.dead);
        } catch {
          // The queue is not running (starting or stopping): no sample.
        }
      },
    });
    new Gauge({
      name: 'zonesim_provisioned_concurrency',
      help: 'Provisioned environments ready, by function and qualifier',
      labelNames: ['function', 'qualifier'],
      registers,
      collect() {
        this.reset();
        for (const v of provisioned.allocations()) this.set({ function: v.functionName, qualifier: v.qualifier }, v.allocated);
      },
    });
    new Gauge({
      name: 'zonesim_cost_usd',
      help: 'What the run has cost so far at Lambda prices',
      registers,
      collect() {
        this.set(ledger.billing.totalUsd());
      },
    });
    new Gauge({
      name: 'zonesim_ledger_dropped_records',
      help: 'Ledger records dropped because the disk could not keep up',
      registers,
      collect() {
        this.set(ledger.writer.stats.dropped);
      },
    });
    ledger.onRecord((r) => this.#observe(r));
  }

  /** The text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  #observe(r: LedgerRecord): void {
    const fn = r.functionName;
    this.#invocations.inc({ function: fn, zone: r.zone ?? 'none', outcome: r.outcome, invocation_type: r.invocationType });
    if (r.cold) this.#coldStarts.inc({ function: fn, zone: r.zone ?? 'none' });
    if (r.outcome === 'throttled') this.#throttles.inc({ function: fn, reason: r.throttleReason ?? 'unknown' });
    if (r.billedMs > 0) this.#billedMs.inc({ function: fn }, r.billedMs);
    if (r.outcome !== 'success' && r.outcome !== 'function-error') return;
    this.#latency.observe({ function: fn, phase: 'end_to_end' }, Math.max(0, r.respondedAt - r.receivedAt) / 1000);
    if (r.durationMs !== undefined) this.#latency.observe({ function: fn, phase: 'execution' }, r.durationMs / 1000);
    if (r.initMs !== undefined) this.#latency.observe({ function: fn, phase: 'init' }, r.initMs / 1000);
    if (r.dispatchedAt !== undefined) this.#latency.observe({ function: fn, phase: 'queue_wait' }, Math.max(0, r.dispatchedAt - (r.queuedAt ?? r.receivedAt)) / 1000);
  }
}
