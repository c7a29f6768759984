/**
 * @zonesim/explore (issue 19): the platform tests its own failover against random fault schedules.
 * Each seed draws a region, a workload and a fault schedule ({@link drawScenario}), runs it in
 * virtual time ({@link runDocument}) and checks every invariant ({@link INVARIANTS}) over the run's
 * history, ledger and end state; a violation is shrunk to a minimal scenario ({@link shrinkDocument})
 * that replays exactly from its seed.
 */
export { DEFAULT_DRAW_BOUNDS, EXPLORED_FAULT_ACTIONS, EXPLORE_COOLDOWN_MS, drawScenario, type DrawBounds, type FaultDoc, type FunctionDoc, type QueueDoc, type ScenarioDocument, type WorkloadDoc } from './draw-scenario.js';
export { runDocument, writeScenarioFile, type ExploreRunResult, type RunDocumentOptions } from './explore-run.js';
export { INVARIANTS, checkInvariants, convergenceBoundMs, lastHealAt, type EndState, type Execution, type Invariant, type RunEvidence, type Violation } from './invariants/index.js';
export { drawFaultSchedule, type RegionShape } from './draw-scenario.js';
export { ddmin, shrinkDocument, sizeOf, type DocumentSize, type ShrinkResult, type StillFails } from './shrink.js';
export { RUN_COMPLETES, documentForSeed, explore, readBaseScenario, type ExploreOptions, type ExploreReport, type Finding, type SeedOutcome } from './campaign.js';
export { REPLAY_WINDOW_MS, replayScenario, type ReplayResult, type ReplayStep } from './replay.js';
