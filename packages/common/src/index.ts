/**
 * @zonesim/common: the small components every process shares: the clock, the logger, the lifecycle
 * states, id generators and the ready line that launchers wait for.
 */
export { systemClock, ManualClock, type Clock, type TimerHandle } from './clock.js';
export { createLogger, silentLogger, type Logger, type LogLevel } from './logger.js';
export { LifecycleState, delay, withinGrace, type Lifecycle } from './lifecycle.js';
export { newRequestId, newShortId, newHex32 } from './ids.js';
export { READY_MARKER, formatReadyLine, parseReadyLine, type ReadyInfo } from './ready-line.js';
export { SeededRandom } from './random.js';
export { DistributionError, sampler, validateDistribution, type Distribution, type Sampler } from './distributions.js';
