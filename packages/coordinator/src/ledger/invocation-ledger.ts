import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock, Logger, TimerHandle } from '@zonesim/common';
import {
  BillingAccumulator,
  LatencyRecorder,
  LedgerWriter,
  TimeSeries,
  type LatencyPhase,
  type LedgerRecord,
  type SecondPoint,
} from '@zonesim/ledger';
import type { RouteTrace } from '../router/router.js';

/** Settings of the coordinator's ledger. */
export interface InvocationLedgerSettings {
  /** `<dataDir>/ledger`: NDJSON files plus `provisioned.ndjson`. */
  dir: string;
  /** Apply Lambda's monthly free tier to the run's bill. */
  freeTier: boolean;
}

/** One provisioned-concurrency configuration as billing sees it. */
export interface ProvisionedWindowInput {
  functionName: string;
  qualifier: string;
  memoryMb: number;
  architecture: 'x86_64' | 'arm64';
  count: number;
}

interface OpenWindow extends ProvisionedWindowInput {
  enabledAt: number;
}

/** Live numbers of one call to {@link InvocationLedger.stats}. */
export interface LedgerStats {
  records: number;
  byOutcome: Record<string, number>;
  coldStarts: number;
  retries: number;
  duplicates: number;
  ledger: { written: number; dropped: number; files: number; currentFile: string | undefined };
  costUsd: number;
  latencyMs: Partial<Record<LatencyPhase, { p50: number; p99: number; count: number }>>;
  lastSeconds: SecondPoint[];
}

const PHASES: LatencyPhase[] = ['queueWait', 'init', 'execution', 'platformOverhead', 'endToEnd'];

/**
 * The coordinator's invocation ledger: every attempt becomes one record, streamed to disk as NDJSON
 * (rotated by size, bounded in memory), and feeds the live views: HDR latency histograms per
 * function x zone x phase, a per-second time series, and the bill (Lambda's price model). Listeners
 * (the Prometheus metrics) see each record too. Provisioned-concurrency windows are billed from
 * enable to disable and appended to `provisioned.ndjson` when they close.
 */
export class InvocationLedger {
  readonly writer: LedgerWriter;
  readonly latency: LatencyRecorder;
  readonly timeSeries: TimeSeries;
  readonly billing: BillingAccumulator;
  readonly #settings: InvocationLedgerSettings;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #listeners: Array<(r: LedgerRecord, trace?: RouteTrace) => void> = [];
  readonly #windows = new Map<string, OpenWindow>();
  readonly #byOutcome: Record<string, number> = {};
  #records = 0;
  #coldStarts = 0;
  #retries = 0;
  #duplicates = 0;
  #sampler: TimerHandle | undefined;
  #gauges: () => { inFlight: number; healthyZones: number } = () => ({ inFlight: 0, healthyZones: 0 });
  #faultIdsAt: (t: number) => string[] = () => [];

  constructor(args: { settings: InvocationLedgerSettings; clock: Clock; log: Logger }) {
    this.#settings = args.settings;
    this.#clock = args.clock;
    this.#log = args.log;
    this.writer = new LedgerWriter({ dir: args.settings.dir }, { clock: args.clock, logger: args.log });
    this.latency = new LatencyRecorder({}, { logger: args.log });
    this.billing = new BillingAccumulator({ freeTier: args.settings.freeTier }, { logger: args.log });
    this.timeSeries = new TimeSeries({ timeSource: 'clock' }, { clock: args.clock, logger: args.log, costSource: () => this.billing.totalUsd() });
  }

  /**
   * Calls `listener` with every record (after it was queued for disk), and the router's trace of
   * the attempt when the caller passed it (the dashboard's "explain" keeps its placement steps).
   */
  onRecord(listener: (r: LedgerRecord, trace?: RouteTrace) => void): void {
    this.#listeners.push(listener);
  }

  /** Where in-flight and healthy-zone gauges come from (sampled every second). */
  setGaugeSource(source: () => { inFlight: number; healthyZones: number }): void {
    this.#gauges = source;
  }

  /** Where the ids of the fault windows active at a time come from (records get `faultIds`). */
  setFaultSource(source: (t: number) => string[]): void {
    this.#faultIdsAt = source;
  }

  async start(): Promise<void> {
    mkdirSync(this.#settings.dir, { recursive: true });
    await this.writer.start();
    this.timeSeries.start();
    this.#sampler = this.#clock.setInterval(() => this.timeSeries.sample(this.#gauges()), 1000);
  }

  /**
   * Records one attempt, with the router's trace of it when there is one (for listeners only; the
   * file gets the record). Never throws: a ledger problem must not fail the invocation.
   */
  record(r: LedgerRecord, trace?: RouteTrace): void {
    try {
      if (r.faultIds === undefined) {
        const ids = this.#faultIdsAt(r.receivedAt);
        if (ids.length > 0) r.faultIds = ids;
      }
      this.writer.append(r);
      this.#records++;
      this.#byOutcome[r.outcome] = (this.#byOutcome[r.outcome] ?? 0) + 1;
      if (r.cold) this.#coldStarts++;
      if (r.attempt > 1) this.#retries++;
      if (r.duplicate) this.#duplicates++;
      this.latency.record(r);
      this.timeSeries.record(r);
      this.billing.add(r);
      for (const l of this.#listeners) l(r, trace);
    } catch (err) {
      this.#log.error({ err: (err as Error).message, requestId: r.requestId }, 'could not record an attempt in the ledger');
    }
  }

  /** A provisioned-concurrency configuration changed: the old window closes, a new one opens. */
  provisioned(key: string, window: ProvisionedWindowInput | undefined): void {
    const now = this.#clock.now();
    const open = this.#windows.get(key);
    if (open) {
      this.#closeWindow(open, now);
      this.#windows.delete(key);
    }
    if (window && window.count > 0) this.#windows.set(key, { ...window, enabledAt: now });
  }

  stats(): LedgerStats {
    const w = this.writer.stats;
    const latencyMs: LedgerStats['latencyMs'] = {};
    for (const phase of PHASES) {
      const s = this.latency.summary({ phase });
      if (s) latencyMs[phase] = { p50: s.p50, p99: s.p99, count: s.count };
    }
    return {
      records: this.#records,
      byOutcome: { ...this.#byOutcome },
      coldStarts: this.#coldStarts,
      retries: this.#retries,
      duplicates: this.#duplicates,
      ledger: { written: w.written, dropped: w.dropped, files: w.files, currentFile: w.currentFile },
      costUsd: this.billing.totalUsd(),
      latencyMs,
      lastSeconds: this.timeSeries.points().slice(-60),
    };
  }

  /** Closes open provisioned windows (billed up to now) and flushes the ledger to disk. */
  async stop(): Promise<void> {
    if (this.#sampler !== undefined) this.#clock.clearInterval(this.#sampler);
    const now = this.#clock.now();
    for (const w of this.#windows.values()) this.#closeWindow(w, now);
    this.#windows.clear();
    this.timeSeries.close();
    await this.writer.close();
  }

  #closeWindow(w: OpenWindow, disabledAt: number): void {
    const line = {
      functionName: w.functionName,
      qualifier: w.qualifier,
      memoryMb: w.memoryMb,
      architecture: w.architecture,
      count: w.count,
      enabledAt: w.enabledAt,
      disabledAt,
    };
    try {
      this.billing.addProvisionedConcurrency({ ...line });
      appendFileSync(join(this.#settings.dir, 'provisioned.ndjson'), JSON.stringify(line) + '\n');
    } catch (err) {
      this.#log.error({ err: (err as Error).message, function: w.functionName }, 'could not record a provisioned concurrency window');
    }
  }
}
