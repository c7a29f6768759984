import { appendFileSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inStateFile } from './errors.js';
import { detailWrites, formatLedgerDetail, resolveLedgerDetail, type LedgerDetail } from './ledger-detail.js';
import { ledgerFileIndex } from './ledger-files.js';
import { readLedger } from './ledger-reader.js';
import { noopLogger, type LedgerLogger } from './logger.js';
import { defaultPriceTable, type PriceTable } from './prices.js';
import type { LedgerRecord } from './record.js';
import {
  DEFAULT_RUN_LATE_GRACE_MS,
  DEFAULT_RUN_MAX_IN_FLIGHT_SPAN_SECONDS,
  DEFAULT_RUN_MAX_ZONE_COLUMNS,
  LEDGER_DETAIL_FILE,
  RUN_AGGREGATE_FILE,
  RUN_AGGREGATE_FORMAT_VERSION,
  RUN_SECONDS_FILE,
  readLedgerDetailFileSync,
  readRunAggregateSync,
  samePriceTable,
  type AggregateGap,
  type LedgerDetailFile,
  type RunAggregateFile,
} from './run-aggregate.js';
import { RunCollector, type SecondRow } from './run-collector.js';
import { encodeSecondRow } from './second-rows.js';

/** Per-second rows buffered before an `appendFileSync` to `seconds.ndjson`. @default 64 KiB */
export const DEFAULT_RUN_SECONDS_FLUSH_BYTES = 64 * 1024;
/**
 * Records held when they arrive before `start` at level `sampled` or `aggregate` (the aggregate is
 * restored first); at `full` none are held. Past it, or at `full` in a directory that turns out to
 * keep an aggregate, they are missing from it and a gap says so. @default 10,000
 */
export const DEFAULT_RUN_MAX_EARLY_RECORDS = 10_000;

/** Settings of a {@link RunAggregator}. */
export interface RunAggregatorSettings {
  /** The ledger directory. Required. */
  dir: string;
  /** @default { level: 'full' } */
  detail?: LedgerDetail;
  /** Apply the monthly free tier to the aggregate's bill. @default false */
  freeTier?: boolean;
  /** @default defaultPriceTable() */
  prices?: PriceTable;
  /** @default 5000 (as the report) */
  lateGraceMs?: number;
  /** @default 64 (as the report) */
  maxZoneColumns?: number;
  /** @default 31 days (as the report) */
  maxInFlightSpanSeconds?: number;
}

/** Counters of one {@link RunAggregator} (this run only; the saved aggregate adds earlier runs). */
export interface RunAggregatorStats {
  /** Attempts seen. */
  records: number;
  /** Of those, the ones the detail level sends to the ledger files. */
  written: number;
  /** Attempts the detail level kept out of the files (`records - written`). */
  notWritten: number;
  /** The exact aggregate is kept (`aggregate.json`). */
  aggregating: boolean;
}

/**
 * The detail level of a ledger directory, applied (issue 16). For each attempt {@link add} says
 * whether its record goes to the files (all at `full`, a deterministic hash-chosen fraction at
 * `sampled`, none at `aggregate`) and, when the directory needs it, folds it into the run's exact
 * aggregate: a {@link RunCollector} whose closed seconds are appended to `seconds.ndjson` and whose
 * state is saved to `aggregate.json` by {@link stop}. `zonesim report` reads those instead of the
 * records, so its totals, latency percentiles, per-second rows and bill are those of every attempt.
 *
 * The aggregate is kept when the level is not `full`, or when an earlier run on the directory kept
 * one (its records are a sample, so every later total must come from the aggregate too). A restart
 * goes on from the saved aggregate. Every write is synchronous (`start` may read earlier full
 * records), so it behaves the same in virtual time. What it cannot make exact it says:
 * `aggregate.json` gets `complete: false` and a gap when an earlier run did not stop cleanly (its
 * unsaved part is lost, as a crash loses a writer's buffer), and `detail.json` stays `running`
 * until a clean stop.
 */
export class RunAggregator {
  readonly detail: LedgerDetail;
  readonly #dir: string;
  readonly #settings: Required<Omit<RunAggregatorSettings, 'dir' | 'detail'>>;
  readonly #logger: LedgerLogger;
  #state: 'idle' | 'started' | 'stopped' = 'idle';
  #collector: RunCollector | undefined;
  #early: LedgerRecord[] | undefined = [];
  #stats = { records: 0, written: 0 };
  /** Totals of earlier runs (from the saved aggregate). */
  #base = { records: 0, written: 0 };
  #gaps: AggregateGap[] = [];
  #seconds = 0;
  #secondsBytes = 0;
  #earlyLost = 0;
  #failed = 0;
  #rows: string[] = [];
  #rowBytes = 0;

  constructor(settings: RunAggregatorSettings, components: { logger?: LedgerLogger } = {}) {
    this.detail = resolveLedgerDetail(settings.detail);
    this.#dir = settings.dir;
    this.#settings = {
      freeTier: settings.freeTier ?? false,
      prices: settings.prices ?? defaultPriceTable(),
      lateGraceMs: settings.lateGraceMs ?? DEFAULT_RUN_LATE_GRACE_MS,
      maxZoneColumns: settings.maxZoneColumns ?? DEFAULT_RUN_MAX_ZONE_COLUMNS,
      maxInFlightSpanSeconds: settings.maxInFlightSpanSeconds ?? DEFAULT_RUN_MAX_IN_FLIGHT_SPAN_SECONDS,
    };
    this.#logger = components.logger ?? noopLogger;
  }

  get stats(): RunAggregatorStats {
    return { ...this.#stats, notWritten: this.#stats.records - this.#stats.written, aggregating: this.#collector !== undefined };
  }

  /**
   * Reads what earlier runs left in the directory, decides whether to keep the aggregate, restores
   * it (or folds earlier full records into a new one) and writes `detail.json`. Call it before the
   * sink's `start`, so that the records of this run are not read back as earlier ones.
   */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#state !== 'idle') throw new Error(`RunAggregator.start: already ${this.#state}`);
    mkdirSync(this.#dir, { recursive: true });
    const previous = this.#readPrevious(readLedgerDetailFileSync, LEDGER_DETAIL_FILE);
    const saved = this.#readPrevious(readRunAggregateSync, RUN_AGGREGATE_FILE);
    const keep = this.detail.level !== 'full' || saved !== undefined || previous?.aggregate === true;
    if (keep && saved) {
      try {
        this.#restore(saved, previous);
      } catch (err) {
        this.#logger.error({ err, dir: this.#dir }, 'ledger: the saved aggregate cannot be used; starting a new one');
        this.#collector = undefined;
        this.#gap(`the saved aggregate could not be used (${(err as Error).message}): earlier attempts are not in the totals`);
      }
    }
    if (keep && !this.#collector) await this.#begin(previous, options.signal);
    this.#writeDetail('running');
    this.#state = 'started';
    const early = this.#early ?? [];
    this.#early = undefined;
    for (const r of early) this.#collector?.add(r);
    if (this.#collector && this.#earlyLost > 0) this.#gap(`${this.#earlyLost} attempts recorded before the ledger started are not in the totals`);
  }

  /** Counts one attempt (and folds it into the aggregate); true when its record goes to the files. */
  add(record: LedgerRecord): boolean {
    const write = detailWrites(this.detail, record);
    this.#stats.records++;
    if (write) this.#stats.written++;
    if (this.#collector) {
      try {
        this.#collector.add(record);
      } catch (err) {
        // Never let the aggregate fail the record: count it as missing instead.
        if (this.#failed++ === 0) this.#logger.error({ err, requestId: record.requestId }, 'ledger: could not fold an attempt into the aggregate');
      }
    } else if (this.#early) {
      if (this.detail.level !== 'full' && this.#early.length < DEFAULT_RUN_MAX_EARLY_RECORDS) this.#early.push(record);
      else this.#earlyLost++;
    }
    return write;
  }

  /** Closes the open seconds and saves `aggregate.json` (when kept), then marks `detail.json` stopped. Safe to call twice. */
  stop(): void {
    if (this.#state !== 'started') return;
    this.#state = 'stopped';
    const c = this.#collector;
    if (c) {
      if (this.#failed > 0) this.#gap(`${this.#failed} attempts could not be folded into the aggregate`);
      c.finish();
      this.#flushRows();
      const file: RunAggregateFile = {
        formatVersion: RUN_AGGREGATE_FORMAT_VERSION,
        detail: this.detail,
        records: this.#base.records + this.#stats.records,
        written: this.#base.written + this.#stats.written,
        complete: this.#gaps.length === 0,
        gaps: this.#gaps,
        seconds: this.#seconds,
        secondsBytes: this.#secondsBytes,
        prices: this.#settings.prices,
        collector: c.exportState(),
      };
      const path = join(this.#dir, RUN_AGGREGATE_FILE);
      writeFileSync(`${path}.tmp`, JSON.stringify(file) + '\n');
      renameSync(`${path}.tmp`, path);
    }
    this.#writeDetail('stopped');
  }

  // A saved file that cannot be read is reported and treated as missing (with a gap, when it mattered).
  #readPrevious<T>(read: (dir: string) => T | undefined, name: string): T | undefined {
    try {
      return read(this.#dir);
    } catch (err) {
      this.#logger.error({ err, file: join(this.#dir, name) }, 'ledger: cannot read a saved file; starting without it');
      if (name === RUN_AGGREGATE_FILE) this.#gap(`${name} could not be read (${(err as Error).message}): earlier attempts are not in the totals`);
      return undefined;
    }
  }

  #restore(saved: RunAggregateFile, previous: LedgerDetailFile | undefined): void {
    if (!samePriceTable(saved.prices, this.#settings.prices)) {
      this.#logger.warn({ dir: this.#dir }, 'ledger: the saved aggregate was priced with another table; it keeps that table');
    }
    if (saved.collector.options?.freeTier !== this.#settings.freeTier) {
      this.#logger.warn({ dir: this.#dir, freeTier: saved.collector.options?.freeTier }, 'ledger: the saved aggregate keeps its free-tier setting');
    }
    this.#collector = inStateFile(join(this.#dir, RUN_AGGREGATE_FILE), () =>
      RunCollector.fromState(saved.collector, { prices: saved.prices }, { onSecond: (row) => this.#row(row), logger: this.#logger }),
    );
    this.#settings.prices = saved.prices;
    this.#base = { records: saved.records, written: saved.written };
    this.#gaps = [...saved.gaps];
    this.#seconds = saved.seconds;
    this.#secondsBytes = saved.secondsBytes;
    // Rows a crashed run appended after the save belong to no aggregate.
    const secondsFile = join(this.#dir, RUN_SECONDS_FILE);
    let size = 0;
    try {
      size = statSync(secondsFile).size;
    } catch {
      size = 0;
    }
    if (size > saved.secondsBytes) truncateSync(secondsFile, saved.secondsBytes);
    else if (size < saved.secondsBytes) this.#gap(`${RUN_SECONDS_FILE} is shorter than the saved aggregate says: per-second rows are missing`);
    if (previous?.state !== 'stopped') {
      this.#gap(`a run after the saved aggregate did not stop cleanly: its attempts are not in the totals`);
    }
  }

  async #begin(previous: LedgerDetailFile | undefined, signal: AbortSignal | undefined): Promise<void> {
    const s = this.#settings;
    this.#collector = new RunCollector(
      { prices: s.prices, freeTier: s.freeTier, lateGraceMs: s.lateGraceMs, maxZoneColumns: s.maxZoneColumns, maxInFlightSpanSeconds: s.maxInFlightSpanSeconds },
      { onSecond: (row) => this.#row(row), logger: this.#logger },
    );
    rmSync(join(this.#dir, RUN_SECONDS_FILE), { force: true });
    const hasRecords = readdirSync(this.#dir).some((name) => ledgerFileIndex(name) !== undefined);
    if (!hasRecords) return;
    if (previous === undefined || (previous.detail.level === 'full' && !previous.aggregate)) {
      // Every earlier attempt is on disk (a crash loses the same records from both views): fold them in.
      for await (const r of readLedger(this.#dir, { ...(signal && { signal }) })) {
        this.#collector.add(r);
        this.#base.records++;
        this.#base.written++;
      }
      this.#logger.info({ dir: this.#dir, records: this.#base.records, detail: formatLedgerDetail(this.detail) }, 'ledger: earlier full records folded into the aggregate');
    } else {
      this.#gap(`an earlier run at detail ${formatLedgerDetail(previous.detail)} did not stop cleanly and saved no aggregate: its attempts are not in the totals`);
    }
  }

  #gap(reason: string): void {
    const last = this.#collector?.lastRespondedAt;
    this.#gaps.push({ at: last !== undefined && Number.isFinite(last) ? last : null, reason });
    this.#logger.warn({ dir: this.#dir, reason }, 'ledger: the aggregate is not complete');
  }

  #row(row: SecondRow): void {
    const line = encodeSecondRow(row);
    this.#rows.push(line);
    this.#rowBytes += Buffer.byteLength(line);
    this.#seconds++;
    if (this.#rowBytes >= DEFAULT_RUN_SECONDS_FLUSH_BYTES) this.#flushRows();
  }

  #flushRows(): void {
    if (this.#rows.length === 0) return;
    const rows = this.#rows;
    const bytes = this.#rowBytes;
    this.#rows = [];
    this.#rowBytes = 0;
    try {
      appendFileSync(join(this.#dir, RUN_SECONDS_FILE), rows.join(''));
      this.#secondsBytes += bytes;
    } catch (err) {
      // The totals stay exact; only these rows of the per-second table are lost.
      this.#seconds -= rows.length;
      this.#logger.error({ err, dir: this.#dir }, 'ledger: could not append per-second rows');
      this.#gap(`${rows.length} per-second rows could not be written (${(err as Error).message})`);
    }
  }

  #writeDetail(state: LedgerDetailFile['state']): void {
    const file: LedgerDetailFile = { formatVersion: RUN_AGGREGATE_FORMAT_VERSION, detail: this.detail, state, aggregate: this.#collector !== undefined };
    const path = join(this.#dir, LEDGER_DETAIL_FILE);
    try {
      writeFileSync(`${path}.tmp`, JSON.stringify(file) + '\n');
      renameSync(`${path}.tmp`, path);
    } catch (err) {
      this.#logger.error({ err, file: path }, 'ledger: could not write the detail file');
    }
  }
}
