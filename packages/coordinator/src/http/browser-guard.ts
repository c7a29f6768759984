import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { IncomingHttpHeaders } from 'node:http';
import { LambdaApiError } from '../errors.js';

/**
 * Keeps web pages away from the API (issue 15, finding 2). A page the user visits can send
 * requests to a loopback port: a `no-cors` `text/plain` POST needs no preflight, and a page whose
 * name was rebound to 127.0.0.1 (DNS rebinding) is even same-origin to itself. Two checks close
 * that for requests that carry no valid signature (a signature needs the key, which no page has):
 *
 * - **Host allowlist.** Rebinding only works through a DNS name, so the `Host` must be an IP
 *   literal, `localhost` or a `*.localhost` name, Lambda's function URL host form, the host the
 *   server was told to listen on, this machine's host name, or one of `allowedHosts` (`--allowed-host`; `.example.com`
 *   allows the domain's subdomains).
 * - **Same origin.** A browser names the page's origin in `Origin` on every cross-origin request
 *   but plain navigations, and in `Sec-Fetch-Site`; a request from another origin is refused. The
 *   dashboard calls its own origin and keeps working; scripts and SDKs send neither header.
 *   Function URLs are exempt from this one: they answer cross-origin calls by their own CORS
 *   configuration, as on Lambda.
 */
export interface BrowserGuardSettings {
  /** The interface the server listens on (allowed as a Host when it is a name). */
  listenHost: string;
  /** More Host names to accept. */
  allowedHosts: readonly string[];
}

/** `<32 chars>.lambda-url.<region>.on.aws` or `.localhost`: the name a function URL is called by. */
export const FUNCTION_URL_HOST = /^([a-z0-9]{32})\.lambda-url\.[a-z0-9-]+\.(?:on\.aws|localhost)$/i;

export class BrowserGuard {
  readonly #exact = new Set<string>();
  readonly #suffixes: string[] = [];

  constructor(settings: BrowserGuardSettings) {
    // This machine's own name is what people type to reach it; a rebinding page names its own.
    for (const name of [settings.listenHost, hostname(), ...settings.allowedHosts]) {
      const host = name.trim().toLowerCase().replace(/^\[|\]$/g, '');
      if (host === '') continue;
      if (host.startsWith('.')) this.#suffixes.push(host);
      else this.#exact.add(host);
    }
  }

  /** Throws 403 when the `Host` header names a host this server does not answer to. */
  checkHost(headers: IncomingHttpHeaders): void {
    const value = headers.host;
    // HTTP/1.0 clients may omit Host; browsers never do.
    if (value === undefined) return;
    if (!this.hostAllowed(hostName(value))) {
      throw new LambdaApiError(
        'AccessDeniedException',
        403,
        `The Host ${value.slice(0, 200)} is not allowed. Use an IP address or localhost, or start the coordinator with --allowed-host ${hostName(value).slice(0, 200)}.`,
      );
    }
  }

  /** True when `host` (no port) may be named in `Host`. */
  hostAllowed(host: string): boolean {
    const h = host.toLowerCase();
    if (isIP(h) !== 0) return true;
    if (h === 'localhost' || h.endsWith('.localhost')) return true;
    if (FUNCTION_URL_HOST.test(h)) return true;
    if (this.#exact.has(h)) return true;
    return this.#suffixes.some((s) => h.endsWith(s));
  }

  /** Throws 403 when a browser sent the request from another origin. */
  checkSameOrigin(headers: IncomingHttpHeaders): void {
    const origin = headers.origin;
    if (origin !== undefined) {
      if (!sameOrigin(origin, headers.host)) {
        throw crossOrigin(`from the origin ${origin.slice(0, 200)}`);
      }
      return;
    }
    // Browsers that send no Origin (a GET from an <img> or <script>) still say where it came from.
    const site = headers['sec-fetch-site'];
    if ((site === 'cross-site' || site === 'same-site') && headers['sec-fetch-mode'] !== 'navigate') {
      throw crossOrigin(`(Sec-Fetch-Site: ${site})`);
    }
  }
}

/** The host part of a `Host` header, without port or IPv6 brackets. */
export function hostName(hostHeader: string): string {
  const v = hostHeader.trim();
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    return end < 0 ? v : v.slice(1, end);
  }
  const colon = v.lastIndexOf(':');
  return colon < 0 ? v : v.slice(0, colon);
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined || origin === 'null') return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  // URL drops a default port (http :80); a Host header may keep it.
  const defaultPort = url.protocol === 'http:' ? '80' : '443';
  const normalise = (h: string): string => h.toLowerCase().replace(new RegExp(`:${defaultPort}$`), '');
  return normalise(url.host) === normalise(host);
}

function crossOrigin(detail: string): LambdaApiError {
  return new LambdaApiError(
    'AccessDeniedException',
    403,
    `Cross-origin requests are refused ${detail}: a web page may not call this API. Sign the request (SigV4) or use the dashboard at its own address.`,
  );
}
