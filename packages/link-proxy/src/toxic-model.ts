/**
 * `@zonesim/link-proxy/toxics`: the pure toxic model alone, without the proxy. It loads no
 * `node:net` and starts no timer, so the virtual-time network (`@zonesim/sim`, issue 16) applies
 * the very same {@link ToxicSet} to its in-memory links: a toxic means the same thing in a real run
 * (on TCP through {@link LinkProxy}) and in a simulated one.
 *
 * @module
 */
export { ToxicSet, type ChunkDelay, type DelayDraw } from './toxic-set.js';
export {
  DEFAULT_MAX_RETRANSMITS,
  DEFAULT_MAX_RETRANSMIT_MS,
  DEFAULT_RETRANSMIT_MS,
  DEFAULT_TOXIC_DIRECTION,
  Direction,
  appliesTo,
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
export { DEFAULT_MAX_HELD_BYTES } from './options.js';
export { LinkProxyErrorCode, LinkProxyOptionsError, isLinkProxyError } from './errors.js';
