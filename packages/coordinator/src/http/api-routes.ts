import type { IncomingMessage } from 'node:http';
import { unknownOperation } from '../errors.js';
import { adminRoutes } from './admin-routes.js';
import type { ApiServerDeps } from './api-server.js';
import { FUNCTION_URL_HOST, hostName } from './browser-guard.js';
import type { ConnectionCounts } from './connection-limits.js';
import { lambdaRoutes } from './lambda-routes.js';
import type { RequestTarget } from './request-target.js';
import { matchRoute, row, type RouteAccess, type RouteCall, type RouteRow } from './route-table.js';
import { handleSqs, isSqsRequest } from './sqs-routes.js';
import { triggerRoutes } from './trigger-routes.js';
import { serveFunctionUrl } from './function-url-route.js';
import { SERVED_SERVICES, answerOtherService, signedService } from './other-service.js';

export type { RouteAccess } from './route-table.js';

/** One routing decision: the row chosen and its path parameters. */
export interface Route {
  readonly access: RouteAccess;
  readonly brownout: boolean;
  /** Answers the request; `call` lacks only what the pipeline adds (the request to read). */
  run(call: Omit<RouteCall, 'params' | 'target' | 'method'>): Promise<void>;
}

const FUNCTION_URL_PATH = /^\/zonesim\/url\/([a-z0-9]{32})(\/.*)?$/;

/**
 * Chooses the route of every request, once (issue 15, finding 1): first by the headers that name
 * another service (a function URL's `Host`, SQS's `X-Amz-Target`, a signature scoped to a service
 * the region does not run), then by the route table (the
 * Lambda API, the trigger controls, zonesim's admin and public paths), built once at start. The
 * route carries its authentication; an unknown operation is `signed` too, so that without a
 * signature nothing about the API's shape leaks.
 */
export class ApiRoutes {
  readonly #table: readonly RouteRow[];
  /** Requests to a function URL; params: the URL id and the function's path. */
  readonly #functionUrl: RouteRow;
  readonly #sqs: RouteRow | undefined;
  readonly #unknown: RouteRow;
  /** A signed call to a service the region does not run; params: the service. */
  readonly #otherService: RouteRow;

  constructor(deps: ApiServerDeps, apiUrl: () => string, connections: () => ConnectionCounts) {
    const fn = { registry: deps.registry, account: deps.account, maxZipBytes: deps.maxZipBytes, apiUrl };
    const triggers = deps.triggers && deps.queues ? triggerRoutes({ triggers: deps.triggers, queues: deps.queues, account: deps.account }) : [];
    this.#table = [...triggers, ...lambdaRoutes(deps, fn), ...adminRoutes(deps, connections)];
    this.#functionUrl = row('*', /^/, 'function-url', true, (c) => {
      if (!deps.triggers) throw unknownOperation(c.method, c.target.path);
      return serveFunctionUrl(deps.triggers.urls, c.req, c.res, { urlId: c.params[0]!, rawPath: c.params[1]!, rawQuery: c.target.rawQuery }, c.requestId);
    });
    const queues = deps.queues;
    this.#sqs = queues ? row('POST', /^/, 'signed', true, (c) => handleSqs(queues, c.req, c.res, c.requestId)) : undefined;
    this.#unknown = row('*', /^/, 'signed', false, (c) => {
      throw unknownOperation(c.method, c.target.path);
    });
    // Public: the answer names only the service the caller named, and reads nothing.
    this.#otherService = row('*', /^/, 'public', false, (c) => answerOtherService(c.params[0]!, c.req, c.res, c.requestId));
  }

  /** The route of `req`, from its method, `Host`, `X-Amz-Target` and the parsed target only. */
  choose(req: IncomingMessage, target: RequestTarget): Route {
    const method = req.method ?? 'GET';
    // A function URL's host name serves that function and nothing else, whatever the path: it is
    // never read as an API call (the bypass of finding 1 routed such requests to Invoke).
    const host = FUNCTION_URL_HOST.exec(hostName(String(req.headers.host ?? '')));
    if (host) return bind(this.#functionUrl, method, target, [host[1]!.toLowerCase(), target.path]);
    const byPath = FUNCTION_URL_PATH.exec(target.path);
    if (byPath) return bind(this.#functionUrl, method, target, [byPath[1]!, byPath[2] ?? '/']);
    // SQS's JSON protocol posts to the queue URL's origin with X-Amz-Target: AmazonSQS.<Action>.
    if (this.#sqs && isSqsRequest(req)) return bind(this.#sqs, method, target, []);
    // An SDK call from a handler to another service (AWS_ENDPOINT_URL points every service here).
    const service = signedService(req, target);
    if (service !== undefined && !SERVED_SERVICES.has(service)) return bind(this.#otherService, method, target, [service]);
    const matched = matchRoute(this.#table, method, target.path);
    return matched ? bind(matched.row, method, target, matched.params) : bind(this.#unknown, method, target, []);
  }
}

function bind(r: RouteRow, method: string, target: RequestTarget, params: readonly string[]): Route {
  return { access: r.access, brownout: r.brownout, run: async (call) => r.handle({ ...call, method, target, params }) };
}
