/**
 * @zonesim/common: the small components every process shares: the clock, the logger, the lifecycle
 * states, id generators, the ready line that launchers wait for, the seeded random source and
 * distributions, and the definition of synthetic functions.
 */
export { systemClock, ManualClock, type Clock, type TimerHandle } from './clock.js';
export { createLogger, detachLogOutput, silentLogger, type Logger, type LogLevel } from './logger.js';
export { LifecycleState, delay, withinGrace, type Lifecycle } from './lifecycle.js';
export { newRequestId, newShortId, newHex32 } from './ids.js';
export { seededEntropy, systemEntropy, type Entropy } from './entropy.js';
export { READY_MARKER, formatReadyLine, parseReadyLine, type ReadyInfo } from './ready-line.js';
export { SeededRandom } from './random.js';
export { TurnCork, wsRawSocket } from './turn-cork.js';
export { WsLinkConnection, type WsSocketLike } from './ws-link-connection.js';
export { LocalPauseGuard } from './local-pause.js';
export { SilenceDetector, type SilenceDetectorSettings, type SilenceVerdict } from './silence-detector.js';
export { DistributionError, sampler, validateDistribution, type Distribution, type Sampler } from './distributions.js';
export {
  MAX_SYNTHETIC_DEFINITION_BYTES,
  SYNTHETIC_DEFINITION_FILE,
  SYNTHETIC_RUNTIME,
  SyntheticDefinitionError,
  parseSyntheticDefinition,
  validateSyntheticDefinition,
  type ResolvedSyntheticDefinition,
  type SyntheticDefinition,
} from './synthetic-function.js';
export { INTACT, SAFETY_SWITCHES, SafetySwitch, type BrokenSafety } from './safety-switches.js';
