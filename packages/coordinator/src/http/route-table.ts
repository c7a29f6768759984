import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestTarget } from './request-target.js';

/**
 * How a route authenticates its caller. The front door decides it once, from the route chosen
 * (issue 15, finding 1), and nothing downstream decides again.
 * - `signed`: SigV4 with the cluster's key when one is configured (the Lambda, SQS and admin APIs);
 * - `public`: nobody (the health check, Prometheus's scrape, the dashboard's page and files);
 * - `cluster-token`: the zone nodes' bearer token, checked by the route (code downloads);
 * - `function-url`: the URL's own `AuthType`, checked by the route.
 */
export type RouteAccess = 'signed' | 'public' | 'cluster-token' | 'function-url';

/** What a handler gets. */
export interface RouteCall {
  /** The request to read: after authentication, a replay of its body. */
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  method: string;
  target: RequestTarget;
  /** The path pattern's capture groups, as sent (still percent-encoded; '' for a group that did not match). */
  params: readonly string[];
}

/** One row of the route table. */
export interface RouteRow {
  /** HTTP methods, or `*` when the handler tells them apart itself. */
  readonly methods: readonly string[] | '*';
  /** Matched against the whole raw path; its groups become {@link RouteCall.params}. */
  readonly path: RegExp;
  readonly access: RouteAccess;
  /** An injected brownout may fail it (the Lambda, SQS and function URL data paths). */
  readonly brownout: boolean;
  handle(call: RouteCall): Promise<void> | void;
}

/** A row builder for the common case. */
export function row(methods: string | readonly string[] | '*', path: RegExp, access: RouteAccess, brownout: boolean, handle: RouteRow['handle']): RouteRow {
  return { methods: typeof methods === 'string' && methods !== '*' ? [methods] : methods, path, access, brownout, handle };
}

/** The first row whose path and method match, with its captures. */
export function matchRoute(table: readonly RouteRow[], method: string, path: string): { row: RouteRow; params: string[] } | undefined {
  for (const r of table) {
    if (r.methods !== '*' && !r.methods.includes(method)) continue;
    const m = r.path.exec(path);
    if (m) return { row: r, params: m.slice(1).map((g) => g ?? '') };
  }
  return undefined;
}
