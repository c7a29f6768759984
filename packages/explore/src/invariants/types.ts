import type { BillingTotals, LedgerRecord } from '@zonesim/ledger';
import type { CheckResult, FaultRecord, HistoryOp, ResolvedScenario, ZoneTransition } from '@zonesim/scenario';

/** One place where a run broke an invariant. */
export interface Violation {
  /** The invariant's name. */
  invariant: string;
  /** What was wrong, in a sentence a reader can act on. */
  message: string;
  /** Epoch ms (virtual) of the moment it is about, when there is one: replay shows what happened around it. */
  at?: number;
  /** Ids it concerns (request ids, event ids, message ids, node ids), a few at most. */
  ids?: string[];
}

/** An environment was handed an invocation (seen from outside the platform). */
export interface Execution {
  requestId: string;
  nodeId: string;
  zone: string;
  at: number;
}

/** What the world looked like once the load and the cooldown were over, before the stop. */
export interface EndState {
  /** Epoch ms (virtual). */
  at: number;
  coordinatorUp: boolean;
  /** Zone nodes alive (not killed) and their live sessions at the coordinator. */
  nodesAlive: number;
  sessions: number;
  /** Invocations the coordinator still had in flight on nodes, or waiting for room. */
  coordinatorInFlight: number;
  /** Concurrency slots still held, per function. */
  concurrencyHeld: Record<string, number>;
  /** Per zone node: environments alive, busy, provisioned, and invocations running. */
  nodes: Array<{ nodeId: string; environments: number; busy: number; provisioned: number; running: number; timers: number }>;
  /** Pending timers of the coordinator's process. */
  coordinatorTimers: number;
}

/** Everything an invariant may judge: the run's files, what the observer saw, and the end state. */
export interface RunEvidence {
  scenario: ResolvedScenario;
  outDir: string;
  check: CheckResult;
  /** Every ledger record of the run, in file order. */
  records: readonly LedgerRecord[];
  faults: readonly FaultRecord[];
  /** The synchronous operations of the history. */
  syncOps: readonly HistoryOp[];
  zones: readonly ZoneTransition[];
  /** Messages deleted from a queue without a successful invocation for them (queue-messages.ndjson). */
  deletedUnprocessed: readonly string[];
  /** Dead letters with their reasons (async-final.json). */
  deadLetters: ReadonlyArray<{ eventId: string; condition: string; reason: string }>;
  /** Executions per request id, in the order they began. */
  executions: ReadonlyMap<string, readonly Execution[]>;
  /** The coordinator's live bill, one entry per coordinator process (taken at its crash, and at the end). */
  liveBills: readonly BillingTotals[];
  /**
   * Per crashed coordinator: the records its ledger had taken but not yet written (lost with it),
   * and how many it had taken within the ledger's flush interval before the crash (what a real
   * crash may lose: docs/limits.md).
   */
  unwrittenAtCrash: ReadonlyArray<{ unwritten: number; withinFlushInterval: number }>;
  /** Undefined when the run ended before the end of its cooldown. */
  end: EndState | undefined;
}

/** A named check over one run. */
export interface Invariant {
  name: string;
  /** What it promises, for `docs/explore.md` and `zonesim explore --list`. */
  description: string;
  check(evidence: RunEvidence): Violation[];
}

/** At most this many ids are named in one violation. */
export const MAX_IDS = 5;
