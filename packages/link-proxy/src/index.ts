/**
 * @zonesim/link-proxy: real network faults on a zone's link. Each zone node's connection to the
 * coordinator passes through its own {@link LinkProxy} (Toxiproxy-like, written here), which the
 * scenario runner controls, so partitions, latency and loss act on real sockets:
 *
 * - `partition`  -> `addToxic({ type: 'blackhole' })`: bytes stop, connections stay up (no FIN/RST).
 * - `disconnect` -> `reset()`: TCP RST on every current connection.
 * - `latency`    -> `addToxic({ type: 'latency', latencyMs, jitterMs })`.
 * - `loss`       -> `addToxic({ type: 'loss', rate })`: a lost chunk is delayed by retransmission timeouts.
 * - `bandwidth`  -> `addToxic({ type: 'bandwidth', bytesPerSecond })`.
 * - zone network down -> `addToxic({ type: 'refuse' })` (plus a blackhole for the current connections).
 * - heal         -> `removeToxic(id)` / `clearToxics()`.
 *
 * Order of bytes is kept within a direction under every toxic; every queue has a bound. See
 * README.md for what each toxic does to real traffic and how it differs from a real network.
 */
export {
  LinkProxy,
  type LinkProxyAddress,
  type LinkProxyComponents,
  type LinkProxyEvents,
  type LinkProxyStats,
} from './link-proxy.js';
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_LISTEN_HOST,
  DEFAULT_LISTEN_PORT,
  DEFAULT_MAX_HELD_BYTES,
  DEFAULT_MAX_IN_FLIGHT_BYTES,
  DEFAULT_STOP_GRACE_MS,
  resolveLinkProxyOptions,
  type LinkProxyOptions,
  type ResolvedLinkProxyOptions,
} from './options.js';
export {
  DEFAULT_MAX_RETRANSMITS,
  DEFAULT_MAX_RETRANSMIT_MS,
  DEFAULT_RETRANSMIT_MS,
  DEFAULT_TOXIC_DIRECTION,
  Direction,
  resolveToxic,
  type BandwidthToxic,
  type BlackholeToxic,
  type LatencyToxic,
  type LossToxic,
  type RefuseToxic,
  type Toxic,
  type ToxicDirection,
  type ToxicInfo,
  type ToxicType,
} from './toxics.js';
export { ToxicSet, type ChunkDelay, type DelayDraw } from './toxic-set.js';
export { CloseReason } from './connection.js';
export type { DirectionStats } from './direction-pipe.js';
export {
  LinkProxyErrorCode,
  LinkProxyListenError,
  LinkProxyOptionsError,
  LinkProxyStateError,
  isLinkProxyError,
} from './errors.js';
