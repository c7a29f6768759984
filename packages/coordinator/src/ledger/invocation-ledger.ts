import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SafetySwitch, type BrokenSafety, type Clock, type Logger, type TimerHandle } from '@zonesim/common';
import {
  BillingAccumulator,
  LatencyRecorder,
  LedgerWriter,
  RunAggregator,
  TimeSeries,
  formatLedgerDetail,
  type LatencyPhase,
  type LedgerDetail,
  type LedgerRecord,
  type LedgerSink,
  type SecondPoint,
} from '@zonesim/ledger';
import type { RouteTrace } from '../router/router.js';

/** Settings of the coordinator's ledger. */
export interface InvocationLedgerSettings {
  /** `<dataDir>/ledger`: NDJSON files plus `provisioned.ndjson`. */
  dir: string;
  /** Apply Lambda's monthly free tier to the run's bill. */
  freeTier: boolean;
  /**
   * How much goes to the ledger files (issue 16): `full` (a record per attempt), `sampled` (a
   * deterministic `rate` of them, 0 < rate <= 1) or `aggregate` (none). The live views, metrics
   * and the bill see every attempt at every level; at `sampled` and `aggregate` the run's exact
   * aggregate is saved beside the files on stop (`aggregate.json`, `seconds.ndjson`) for reports.
   * Validated at construction (a `LEDGER_INVALID_OPTION` error naming `detail.rate` or
   * `detail.level`); `parseLedgerDetail('sampled:0.01')` reads the text form.
   * @default { level: 'full' }
   */
  detail?: LedgerDetail;
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
  ledger: {
    written: number;
    dropped: number;
    files: number;
    currentFile: string | undefined;
    /** The detail level, as text (`full`, `sampled:0.01`, `aggregate`). */
    detail: string;
    /** Attempts the detail level kept out of the files (they are in every count and total). */
    notWritten: number;
  };
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
 *
 * The files are written by a {@link LedgerSink} given as a component (default a `LedgerWriter`;
 * virtual-time runs pass a `SyncLedgerWriter`). The detail level (`settings.detail`) filters only
 * what reaches the sink: the counts, histograms, time series, metrics listeners and the bill see
 * every attempt, and a {@link RunAggregator} keeps the exact aggregate for reports when records
 * are sampled or absent.
 */
export class InvocationLedger {
  /** The sink (named `writer` for its callers: `flushThrough` before an async event settles, stats for metrics). */
  readonly writer: LedgerSink;
  readonly latency: LatencyRecorder;
  readonly timeSeries: TimeSeries;
  readonly billing: BillingAccumulator;
  readonly #billFunctionErrors: boolean;
  readonly #settings: InvocationLedgerSettings;
  readonly #aggregator: RunAggregator;
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

  /**
   * @param args.sink where records go. @default a `LedgerWriter` on `settings.dir` driven by `clock`
   * @throws LedgerOptionsError (code `LEDGER_INVALID_OPTION`) for a bad `settings.detail`
   */
  constructor(args: { settings: InvocationLedgerSettings; clock: Clock; log: Logger; sink?: LedgerSink; broken?: BrokenSafety }) {
    this.#settings = args.settings;
    this.#billFunctionErrors = args.broken?.has(SafetySwitch.BillEveryAttempt) !== true;
    this.#clock = args.clock;
    this.#log = args.log;
    this.#aggregator = new RunAggregator({ dir: args.settings.dir, freeTier: args.settings.freeTier, ...(args.settings.detail && { detail: args.settings.detail }) }, { logger: args.log });
    this.writer = args.sink ?? new LedgerWriter({ dir: args.settings.dir }, { clock: args.clock, logger: args.log });
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

  /** The detail level in effect (validated). */
  get detail(): LedgerDetail {
    return this.#aggregator.detail;
  }

  async start(): Promise<void> {
    mkdirSync(this.#settings.dir, { recursive: true });
    // Before the sink opens its file: the aggregator may fold the records of earlier runs.
    await this.#aggregator.start();
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
      if (this.#aggregator.add(r)) this.writer.append(r);
      this.#records++;
      this.#byOutcome[r.outcome] = (this.#byOutcome[r.outcome] ?? 0) + 1;
      if (r.cold) this.#coldStarts++;
      if (r.attempt > 1) this.#retries++;
      if (r.duplicate) this.#duplicates++;
      this.latency.record(r);
      this.timeSeries.record(r);
      // Skipped only in a build with bill-every-attempt switched off (explore's self-test, issue 19).
      if (this.#billFunctionErrors || r.outcome !== 'function-error') this.billing.add(r);
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
      ledger: {
        written: w.written,
        dropped: w.dropped,
        files: w.files,
        currentFile: w.currentFile,
        detail: formatLedgerDetail(this.#aggregator.detail),
        notWritten: this.#aggregator.stats.notWritten,
      },
      costUsd: this.billing.totalUsd(),
      latencyMs,
      lastSeconds: this.timeSeries.points().slice(-60),
    };
  }

  /**
   * Closes open provisioned windows (billed up to now), flushes the ledger to disk and, when it
   * keeps one, saves the run's aggregate (`aggregate.json`); `detail.json` then says `stopped`.
   */
  async stop(): Promise<void> {
    if (this.#sampler !== undefined) this.#clock.clearInterval(this.#sampler);
    const now = this.#clock.now();
    for (const w of this.#windows.values()) this.#closeWindow(w, now);
    this.#windows.clear();
    this.timeSeries.close();
    await this.writer.close();
    try {
      this.#aggregator.stop();
    } catch (err) {
      this.#log.error({ err: (err as Error).message, dir: this.#settings.dir }, 'could not save the ledger aggregate');
    }
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
