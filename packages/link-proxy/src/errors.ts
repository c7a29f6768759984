/**
 * Errors of the link-proxy package, one class per category:
 *
 * - {@link LinkProxyOptionsError}: an option or a toxic is invalid. Names the field.
 * - {@link LinkProxyStateError}: the call does not fit the proxy's lifecycle state (e.g. `url()`
 *   before `start()`, `start()` after `stop()`).
 * - {@link LinkProxyListenError}: the proxy could not listen on its address.
 *
 * Across packages, tell errors apart by `code`, not `instanceof`.
 *
 * @module
 */

/** Stable error codes of this package. */
export const LinkProxyErrorCode = {
  /** A proxy option is missing, out of range or of the wrong type. */
  InvalidOption: 'LINK_PROXY_INVALID_OPTION',
  /** A toxic is of an unknown type or one of its fields is out of range. */
  InvalidToxic: 'LINK_PROXY_INVALID_TOXIC',
  /** The call does not fit the proxy's lifecycle state. */
  InvalidState: 'LINK_PROXY_INVALID_STATE',
  /** Listening on `listenHost:listenPort` failed (address in use, not permitted, aborted). */
  ListenFailed: 'LINK_PROXY_LISTEN_FAILED',
} as const;
/** One of the values of {@link LinkProxyErrorCode}. */
export type LinkProxyErrorCode = (typeof LinkProxyErrorCode)[keyof typeof LinkProxyErrorCode];

/** An option given to the proxy, or a toxic given to `addToxic`, is invalid. */
export class LinkProxyOptionsError extends Error {
  override readonly name = 'LinkProxyOptionsError';
  readonly code: typeof LinkProxyErrorCode.InvalidOption | typeof LinkProxyErrorCode.InvalidToxic;
  /** The offending field, e.g. `maxHeldBytes` or `toxic.latencyMs`. */
  readonly field: string;

  constructor(code: LinkProxyOptionsError['code'], field: string, message: string) {
    super(`${field}: ${message}`);
    this.code = code;
    this.field = field;
  }
}

/** A call that does not fit the proxy's current lifecycle state. */
export class LinkProxyStateError extends Error {
  override readonly name = 'LinkProxyStateError';
  readonly code = LinkProxyErrorCode.InvalidState;
  /** The proxy's name. */
  readonly proxy: string;
  /** The state the proxy was in. */
  readonly state: string;

  constructor(proxy: string, state: string, message: string) {
    super(`link proxy ${proxy} is ${state}: ${message}`);
    this.proxy = proxy;
    this.state = state;
  }
}

/** The proxy could not listen. `cause` holds the socket error (e.g. `EADDRINUSE`) or the abort reason. */
export class LinkProxyListenError extends Error {
  override readonly name = 'LinkProxyListenError';
  readonly code = LinkProxyErrorCode.ListenFailed;
  readonly proxy: string;
  readonly host: string;
  readonly port: number;

  constructor(proxy: string, host: string, port: number, cause: unknown) {
    super(`link proxy ${proxy} cannot listen on ${host}:${port}: ${(cause as Error | undefined)?.message ?? String(cause)}`, { cause });
    this.proxy = proxy;
    this.host = host;
    this.port = port;
  }
}

/** True when `err` is one of this package's errors (by `code`, so it works across copies of the package). */
export function isLinkProxyError(err: unknown): err is LinkProxyOptionsError | LinkProxyStateError | LinkProxyListenError {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (Object.values(LinkProxyErrorCode) as string[]).includes(code);
}
