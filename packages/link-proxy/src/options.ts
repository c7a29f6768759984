/**
 * Settings of a {@link LinkProxy}: the public {@link LinkProxyOptions} (documented defaults), the
 * `DEFAULT_*` constants, and {@link resolveLinkProxyOptions}, which fills the defaults and
 * validates eagerly with an error naming the field.
 *
 * @module
 */
import { LinkProxyErrorCode, LinkProxyOptionsError } from './errors.js';

/** Address the proxy listens on: loopback, like the rest of the simulator. */
export const DEFAULT_LISTEN_HOST = '127.0.0.1';
/** Port the proxy listens on: ephemeral. */
export const DEFAULT_LISTEN_PORT = 0;
/** Bytes a blackholed direction of one connection may hold before the connection is reset: 16 MiB. */
export const DEFAULT_MAX_HELD_BYTES = 16 * 1024 * 1024;
/**
 * Bytes one direction of one connection may queue while delayed (latency, loss, bandwidth, a slow
 * reader) before the proxy stops reading from the sender: 1 MiB, about a TCP window.
 */
export const DEFAULT_MAX_IN_FLIGHT_BYTES = 1024 * 1024;
/** Time the proxy gives the target to accept a new connection before resetting the client. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** Time `stop()` waits for connections to close after sending FIN before destroying them. */
export const DEFAULT_STOP_GRACE_MS = 2_000;

/** Settings of a {@link LinkProxy}. */
export interface LinkProxyOptions {
  /** Name of the link, e.g. the zone (`zone-a`): in errors and for the default random seed. */
  name: string;
  /** Where connections are forwarded (the coordinator's host). */
  targetHost: string;
  /** Where connections are forwarded (the coordinator's port). */
  targetPort: number;
  /** @default '127.0.0.1' ({@link DEFAULT_LISTEN_HOST}) */
  listenHost?: string;
  /** @default 0, an ephemeral port ({@link DEFAULT_LISTEN_PORT}) */
  listenPort?: number;
  /** @default 16 MiB ({@link DEFAULT_MAX_HELD_BYTES}) */
  maxHeldBytes?: number;
  /** @default 1 MiB ({@link DEFAULT_MAX_IN_FLIGHT_BYTES}) */
  maxInFlightBytes?: number;
  /** @default 5000 ({@link DEFAULT_CONNECT_TIMEOUT_MS}) */
  connectTimeoutMs?: number;
  /** @default 2000 ({@link DEFAULT_STOP_GRACE_MS}) */
  stopGraceMs?: number;
}

/** {@link LinkProxyOptions} with every default filled in. */
export type ResolvedLinkProxyOptions = Required<LinkProxyOptions>;

/** Fills defaults and validates; throws a {@link LinkProxyOptionsError} naming the field. */
export function resolveLinkProxyOptions(options: LinkProxyOptions): ResolvedLinkProxyOptions {
  if (typeof options !== 'object' || options === null) fail('options', 'must be an object');
  return {
    name: text(options.name, 'name'),
    targetHost: text(options.targetHost, 'targetHost'),
    targetPort: integer(options.targetPort, 'targetPort', 1, 65_535),
    listenHost: text(options.listenHost ?? DEFAULT_LISTEN_HOST, 'listenHost'),
    listenPort: integer(options.listenPort ?? DEFAULT_LISTEN_PORT, 'listenPort', 0, 65_535),
    maxHeldBytes: integer(options.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES, 'maxHeldBytes', 1),
    maxInFlightBytes: integer(options.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES, 'maxInFlightBytes', 1),
    connectTimeoutMs: integer(options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, 'connectTimeoutMs', 1),
    stopGraceMs: integer(options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS, 'stopGraceMs', 0),
  };
}

function text(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') fail(field, 'must be a non-empty string');
  return v;
}

function integer(v: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(field, 'must be an integer');
  if (v < min || v > max) fail(field, `must be between ${min} and ${max}`);
  return v;
}

function fail(field: string, message: string): never {
  throw new LinkProxyOptionsError(LinkProxyErrorCode.InvalidOption, field, message);
}
