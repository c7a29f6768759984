/**
 * The toxics a {@link LinkProxy} applies to a link, their defaults, and the one function that
 * validates a toxic given at run time (a scenario file is data, so every field is checked before
 * any byte is touched).
 *
 * Directions follow Toxiproxy: `upstream` is client (zone node) -> target (coordinator),
 * `downstream` is target -> client. Unlike Toxiproxy (default `downstream`), a toxic here acts on
 * `both` directions unless told otherwise, because a zone's network fault hits both ways.
 *
 * @module
 */
import { LinkProxyErrorCode, LinkProxyOptionsError } from './errors.js';

/** One direction of a link. */
export const Direction = {
  /** Client (zone node) -> target (coordinator). */
  Upstream: 'upstream',
  /** Target (coordinator) -> client (zone node). */
  Downstream: 'downstream',
} as const;
/** One of {@link Direction}. */
export type Direction = (typeof Direction)[keyof typeof Direction];
/** The directions a toxic acts on. */
export type ToxicDirection = Direction | 'both';

/** Direction a toxic acts on when none is given. */
export const DEFAULT_TOXIC_DIRECTION: ToxicDirection = 'both';
/** First retransmission timeout of the loss toxic: Linux's `TCP_RTO_MIN` (200 ms). */
export const DEFAULT_RETRANSMIT_MS = 200;
/** Cap on one retransmission timeout of the loss toxic: Linux's `TCP_RTO_MAX` (120 s). */
export const DEFAULT_MAX_RETRANSMIT_MS = 120_000;
/** Consecutive losses of one chunk after which it goes through anyway: Linux's `tcp_retries2` (15). */
export const DEFAULT_MAX_RETRANSMITS = 15;

/** Delays every chunk by `latencyMs` plus a uniform draw in `[-jitterMs, +jitterMs]` (never below 0). */
export interface LatencyToxic {
  type: 'latency';
  /** Optional id; must be unique among the proxy's toxics. @default `<type>-<n>` */
  name?: string;
  latencyMs: number;
  /** @default 0 */
  jitterMs?: number;
  /** @default 'both' */
  direction?: ToxicDirection;
}

/**
 * A partition: bytes stop flowing but the TCP connections stay up (no FIN, no RST), so only a
 * heartbeat failure detector can notice. Bytes read meanwhile are held, up to the proxy's
 * `maxHeldBytes`, and flow again in order when the toxic is removed.
 */
export interface BlackholeToxic {
  type: 'blackhole';
  /** @default `<type>-<n>` */
  name?: string;
  /** @default 'both' */
  direction?: ToxicDirection;
}

/**
 * Packet loss, as TCP lets an application see it. TCP cannot lose bytes: a lost segment is
 * retransmitted after a retransmission timeout (RTO), so the application sees a delay, and every
 * later byte waits behind it (head-of-line blocking). So each chunk is "lost" with probability
 * `rate`; each loss adds one RTO of delay, the RTO starting at `retransmitMs` and doubling on
 * each consecutive loss of the same chunk (exponential backoff) up to `maxRetransmitMs`; after
 * `maxRetransmits` losses in a row the chunk goes through (real TCP would give up and drop the
 * connection instead: combine a blackhole and `reset()` for that).
 */
export interface LossToxic {
  type: 'loss';
  /** @default `<type>-<n>` */
  name?: string;
  /** Probability in [0, 1] that one transmission of a chunk is lost. */
  rate: number;
  /** @default 200 ({@link DEFAULT_RETRANSMIT_MS}) */
  retransmitMs?: number;
  /** @default 120000 ({@link DEFAULT_MAX_RETRANSMIT_MS}) */
  maxRetransmitMs?: number;
  /** @default 15 ({@link DEFAULT_MAX_RETRANSMITS}) */
  maxRetransmits?: number;
  /** @default 'both' */
  direction?: ToxicDirection;
}

/** Limits throughput to `bytesPerSecond`; with several bandwidth toxics the smallest rate wins. */
export interface BandwidthToxic {
  type: 'bandwidth';
  /** @default `<type>-<n>` */
  name?: string;
  bytesPerSecond: number;
  /** @default 'both' */
  direction?: ToxicDirection;
}

/** New connections are reset at once (a zone whose network is down); current ones are untouched. */
export interface RefuseToxic {
  type: 'refuse';
  /** @default `<type>-<n>` */
  name?: string;
}

/** A toxic as given to {@link LinkProxy.addToxic}. */
export type Toxic = LatencyToxic | BlackholeToxic | LossToxic | BandwidthToxic | RefuseToxic;
/** The type tags of {@link Toxic}. */
export type ToxicType = Toxic['type'];

/** A toxic with every default filled in and its id. */
export type ToxicInfo =
  | (Required<Omit<LatencyToxic, 'name'>> & { id: string })
  | (Required<Omit<BlackholeToxic, 'name'>> & { id: string })
  | (Required<Omit<LossToxic, 'name'>> & { id: string })
  | (Required<Omit<BandwidthToxic, 'name'>> & { id: string })
  | (Required<Omit<RefuseToxic, 'name'>> & { id: string });

/** True when a toxic acting on `toxic` applies to `direction`. */
export function appliesTo(toxic: { direction: ToxicDirection }, direction: Direction): boolean {
  return toxic.direction === 'both' || toxic.direction === direction;
}

/**
 * Checks a toxic given at run time and fills its defaults. Throws a {@link LinkProxyOptionsError}
 * (`LINK_PROXY_INVALID_TOXIC`) naming the field, e.g. `toxic.rate`.
 */
export function resolveToxic(input: unknown, id: string): ToxicInfo {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail('toxic', 'must be an object');
  const t = input as Record<string, unknown>;
  switch (t.type) {
    case 'latency':
      return {
        id,
        type: 'latency',
        latencyMs: number(t, 'latencyMs', { min: 0 }),
        jitterMs: number(t, 'jitterMs', { min: 0, default: 0 }),
        direction: direction(t),
      };
    case 'blackhole':
      return { id, type: 'blackhole', direction: direction(t) };
    case 'loss': {
      const retransmitMs = number(t, 'retransmitMs', { min: 1, default: DEFAULT_RETRANSMIT_MS });
      const maxRetransmitMs = number(t, 'maxRetransmitMs', { min: 1, default: Math.max(DEFAULT_MAX_RETRANSMIT_MS, retransmitMs) });
      if (maxRetransmitMs < retransmitMs) fail('toxic.maxRetransmitMs', `must be >= retransmitMs (${retransmitMs})`);
      return {
        id,
        type: 'loss',
        rate: number(t, 'rate', { min: 0, max: 1 }),
        retransmitMs,
        maxRetransmitMs,
        maxRetransmits: number(t, 'maxRetransmits', { min: 1, integer: true, default: DEFAULT_MAX_RETRANSMITS }),
        direction: direction(t),
      };
    }
    case 'bandwidth': {
      const bytesPerSecond = number(t, 'bytesPerSecond', { min: 1 });
      return { id, type: 'bandwidth', bytesPerSecond, direction: direction(t) };
    }
    case 'refuse':
      return { id, type: 'refuse' };
    default:
      return fail('toxic.type', `must be one of latency, blackhole, loss, bandwidth, refuse (got ${JSON.stringify(t.type)})`);
  }
}

function direction(t: Record<string, unknown>): ToxicDirection {
  const d = t.direction ?? DEFAULT_TOXIC_DIRECTION;
  if (d !== 'upstream' && d !== 'downstream' && d !== 'both') fail('toxic.direction', `must be upstream, downstream or both (got ${JSON.stringify(d)})`);
  return d;
}

function number(
  t: Record<string, unknown>,
  field: string,
  rule: { min: number; max?: number; integer?: boolean; default?: number },
): number {
  const v = t[field] ?? rule.default;
  const name = `toxic.${field}`;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(name, 'must be a finite number');
  if (rule.integer && !Number.isInteger(v)) fail(name, 'must be an integer');
  if (v < rule.min) fail(name, `must be >= ${rule.min}`);
  if (rule.max !== undefined && v > rule.max) fail(name, `must be <= ${rule.max}`);
  return v;
}

function fail(field: string, message: string): never {
  throw new LinkProxyOptionsError(LinkProxyErrorCode.InvalidToxic, field, message);
}
