/**
 * Safety mechanisms a deliberately broken build switches off: issue 19's self-test of `zonesim
 * explore` (each invariant checker must catch the build that lacks the mechanism it guards). Only
 * virtual runs set them, and only when asked (`zonesim explore --break NAME`); a real cluster has no
 * way to.
 */
export const SafetySwitch = {
  /** The router places again an invocation whose node was lost before its acceptance arrived (it may have run there). */
  AcceptedBeforeRun: 'accepted-before-run',
  /** An async event is answered 202 before its row is committed, and committed a second later (write-behind). */
  DurableEnqueue: 'durable-enqueue',
  /** Reserved concurrency is not enforced. */
  ReservedConcurrency: 'reserved-concurrency',
  /** The live bill skips attempts that ended in a function error (the ledger still has them). */
  BillEveryAttempt: 'bill-every-attempt',
  /** A zone node that was marked down is never admitted again. */
  Rejoin: 'rejoin',
  /** Idle environments are never evicted after their keep-alive. */
  KeepAliveEviction: 'keep-alive-eviction',
  /** A queue message is deleted when an event source mapping receives it, before its invocation succeeded. */
  DeleteAfterSuccess: 'delete-after-success',
} as const;
/** One of {@link SafetySwitch}. */
export type SafetySwitch = (typeof SafetySwitch)[keyof typeof SafetySwitch];

/** Every switch, for validation and `--list`. */
export const SAFETY_SWITCHES: readonly SafetySwitch[] = Object.values(SafetySwitch);

/** The switches that are off in a build: none, in every real process. */
export type BrokenSafety = ReadonlySet<SafetySwitch>;

/** No switch off. */
export const INTACT: BrokenSafety = new Set();
