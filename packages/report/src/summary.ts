import {
  LatencyPhase,
  provisionedConcurrencyCost,
  type BillingSnapshot,
  type FaultCost,
  type LatencySummary,
  type LedgerDetail,
  type LedgerReadStats,
  type PriceTable,
  type AttemptCounts,
  type RunCollector,
} from '@zonesim/ledger';
import type { FaultWindow, ProvisionedEntry, SideFile } from './side-files.js';

/** The format version of `summary.json`; bumped on an incompatible change (new fields keep it). */
export const RUN_SUMMARY_FORMAT_VERSION = 1;

/** Latency of each phase, ms; a phase is absent when nothing was recorded for it. */
export type PhaseLatency = Partial<Record<LatencyPhase, LatencySummary>>;

/** A provisioned-concurrency configuration with what it cost. */
export interface ProvisionedCost extends ProvisionedEntry {
  /** `disabledAt`, or the run's end when it was still enabled (epoch ms). */
  billedUntil: number;
  /** Enabled time rounded up to 5 minutes. */
  billedSeconds: number;
  gbSeconds: number;
  usd: number;
}

/** A fault window with what the attempts received while it was active cost (see `FaultCost`). */
export interface FaultSummary {
  id: string;
  /** Null for a fault id found only in ledger records (no line in `faults.ndjson`). */
  action: string | null;
  target: unknown;
  startAt: number | null;
  /** Null: active until the run's end (or unknown, for ids found only in records). */
  endAt: number | null;
  cost: FaultCost;
}

/** How the ledger was written and where the report's totals come from (issue 16's detail levels). */
export interface LedgerDetailSummary {
  /** The ledger's detail level (`ledger/detail.json`; `full` for a ledger without one). */
  level: LedgerDetail['level'];
  /** The fraction of attempts written, at `sampled`; else null. */
  rate: number | null;
  /** `records`: every record was read. `aggregate`: the exact aggregate the coordinator saved (`ledger/aggregate.json`). */
  source: 'records' | 'aggregate';
  /** False when the totals miss attempts of the run; `notes` say why. */
  exact: boolean;
  /** Records in the ledger files (at `sampled`, the sample; at `aggregate`, none). */
  recordsWritten: number;
  notes: string[];
}

/** Everything in `summary.json`. Times are epoch ms; money is USD; latency is ms. */
export interface RunSummary {
  formatVersion: typeof RUN_SUMMARY_FORMAT_VERSION;
  generatedAt: string;
  dataDir: string;
  /** From the earliest `receivedAt` to the latest `respondedAt`; nulls for an empty ledger. */
  run: { start: number | null; end: number | null; durationSeconds: number };
  input: {
    ledgerFiles: number;
    /** Attempts in the totals: the records read, or those the saved aggregate folded. */
    records: number;
    /** The ledger's detail level and where the totals come from. */
    detail: LedgerDetailSummary;
    /** Ledger files whose last line was cut by a crash (skipped). */
    truncatedLines: number;
    provisionedFile: boolean;
    faultsFile: boolean;
    /** Cut last lines skipped in `provisioned.ndjson` and `faults.ndjson`. */
    sideFileTruncatedLines: number;
    /** Records for a second the time series had already closed: in every total, not in the per-second rows. */
    lateForTimeSeries: number;
  };
  /** Attempts of the run; `byInvocationType` counts attempts per entry point. */
  counts: AttemptCounts & { byInvocationType: Record<string, number> };
  byFunction: Record<string, AttemptCounts>;
  byZone: Record<string, AttemptCounts>;
  latency: {
    /** Outcomes whose latency was recorded (throttles are not: their few-ms reply would drag p50 down). */
    outcomes: string[];
    overall: PhaseLatency;
    byFunction: Record<string, PhaseLatency>;
    byFunctionZone: Array<{ functionName: string; zone: string; phases: PhaseLatency }>;
  };
  /** The Lambda-style bill: per run, function, zone and fault, provisioned concurrency included. */
  billing: BillingSnapshot;
  provisionedConcurrency: { allocations: ProvisionedCost[]; totalUsd: number };
  faults: FaultSummary[];
  prices: {
    region: string;
    currency: string;
    /** The oldest `asOf` of the table's entries: the prices are at least this fresh. */
    asOf: string;
    sources: string[];
    freeTier: boolean;
  };
  timeSeries: { seconds: number; zoneColumns: string[]; inFlightKnown: boolean; chartBucketSeconds: number };
}

const PHASES = Object.values(LatencyPhase);

/** When a provisioned-concurrency configuration stops being billed: `disabledAt`, else the run's end. */
export function provisionedBilledUntil(p: ProvisionedEntry, runEnd: number | null): number {
  return Math.max(p.enabledAt, p.disabledAt ?? runEnd ?? p.enabledAt);
}

/** What the provisioned-concurrency configurations have cost by `atMs` (enabled time so far, rounded up to 5 minutes as billed). */
export function provisionedAccruedUsd(entries: readonly ProvisionedEntry[], atMs: number, runEnd: number | null, prices: PriceTable): number {
  let usd = 0;
  for (const p of entries) {
    if (atMs <= p.enabledAt) continue;
    const until = Math.min(atMs, provisionedBilledUntil(p, runEnd));
    usd += provisionedConcurrencyCost({ ...p, disabledAt: until }, prices).usd;
  }
  return usd;
}

function priceMeta(table: PriceTable): { asOf: string; sources: string[] } {
  const metas = [
    table.requests,
    table.durationGranularityMs,
    table.duration.x86_64,
    table.duration.arm64,
    table.provisionedConcurrency.x86_64,
    table.provisionedConcurrency.arm64,
    table.provisionedConcurrency.billingGranularitySeconds,
    table.ephemeralStorage,
    table.freeTier,
    table.initBilling,
  ];
  return {
    asOf: metas.map((m) => m.asOf).sort()[0]!,
    sources: [...new Set(metas.map((m) => m.source))],
  };
}

const zeroFaultCost = (faultId: string): FaultCost => ({
  faultId,
  attempts: 0,
  throttles: 0,
  retries: { count: 0, usd: 0 },
  duplicates: { count: 0, usd: 0 },
  coldStarts: { count: 0, initBilledMs: 0, usd: 0 },
  totalUsd: 0,
});

/**
 * Builds the summary once the ledger is read: adds the provisioned-concurrency allocations to the
 * bill (their end is known only now), queries the latency histograms and pairs fault windows with
 * their cost.
 */
export function buildRunSummary(input: {
  dataDir: string;
  collector: RunCollector;
  readStats: LedgerReadStats;
  /** @default full, read from the records */
  detail?: LedgerDetailSummary;
  provisioned: SideFile<ProvisionedEntry>;
  faults: SideFile<FaultWindow>;
  prices: PriceTable;
  freeTier: boolean;
  /** The CSV's zone columns, in order. */
  zoneColumns: readonly string[];
  chartBucketSeconds: number;
  now?: Date;
}): RunSummary {
  const { collector: c } = input;
  const start = Number.isFinite(c.firstReceivedAt) ? c.firstReceivedAt : null;
  const end = Number.isFinite(c.lastRespondedAt) ? c.lastRespondedAt : null;

  const allocations: ProvisionedCost[] = input.provisioned.entries.map((p) => {
    const billedUntil = provisionedBilledUntil(p, end);
    const cost = c.billing.addProvisionedConcurrency({ ...p, disabledAt: billedUntil });
    return { ...p, billedUntil, ...cost };
  });
  const billing = c.billing.snapshot();

  const phasesOf = (query: { functionName?: string; zone?: string }): PhaseLatency => {
    const out: PhaseLatency = {};
    for (const phase of PHASES) {
      const s = c.latency.summary({ phase, ...query });
      if (s) out[phase] = s;
    }
    return out;
  };
  const byFunctionZone = new Map<string, { functionName: string; zone: string; phases: PhaseLatency }>();
  for (const { functionName, zone, phase, summary } of c.latency.snapshot()) {
    const k = `${functionName}\u0000${zone}`;
    let e = byFunctionZone.get(k);
    if (!e) byFunctionZone.set(k, (e = { functionName, zone, phases: {} }));
    e.phases[phase] = summary;
  }
  const latencyByFunction: Record<string, PhaseLatency> = {};
  for (const fn of new Set(c.latency.keys().map((k) => k.functionName))) latencyByFunction[fn] = phasesOf({ functionName: fn });

  const faults: FaultSummary[] = input.faults.entries.map((f) => ({
    id: f.id,
    action: f.action,
    target: f.target,
    startAt: f.startAt,
    endAt: f.endAt ?? null,
    cost: billing.byFault[f.id] ?? zeroFaultCost(f.id),
  }));
  const listed = new Set(faults.map((f) => f.id));
  for (const [id, cost] of Object.entries(billing.byFault)) {
    if (!listed.has(id)) faults.push({ id, action: null, target: null, startAt: null, endAt: null, cost });
  }

  return {
    formatVersion: RUN_SUMMARY_FORMAT_VERSION,
    generatedAt: (input.now ?? new Date()).toISOString(),
    dataDir: input.dataDir,
    run: { start, end, durationSeconds: start !== null && end !== null ? (end - start) / 1000 : 0 },
    input: {
      ledgerFiles: input.readStats.files,
      records: input.readStats.records,
      detail: input.detail ?? { level: 'full', rate: null, source: 'records', exact: true, recordsWritten: input.readStats.records, notes: [] },
      truncatedLines: input.readStats.truncatedLines,
      provisionedFile: input.provisioned.present,
      faultsFile: input.faults.present,
      sideFileTruncatedLines: input.provisioned.truncatedLines + input.faults.truncatedLines,
      lateForTimeSeries: c.late,
    },
    counts: { ...c.run, byInvocationType: { ...c.byInvocationType } },
    byFunction: Object.fromEntries(c.byFunction),
    byZone: Object.fromEntries(c.byZone),
    latency: {
      outcomes: [...c.latency.options.outcomes],
      overall: phasesOf({}),
      byFunction: latencyByFunction,
      byFunctionZone: [...byFunctionZone.values()],
    },
    billing,
    provisionedConcurrency: { allocations, totalUsd: billing.run.usd.provisionedConcurrency },
    faults,
    prices: { region: input.prices.region, currency: input.prices.currency, ...priceMeta(input.prices), freeTier: input.freeTier },
    timeSeries: { seconds: c.seconds, zoneColumns: [...input.zoneColumns], inFlightKnown: c.inFlight.known, chartBucketSeconds: input.chartBucketSeconds },
  };
}
