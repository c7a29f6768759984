import type { IncomingMessage, ServerResponse } from 'node:http';
import { unknownOperation } from '../errors.js';
import { FUNCTION_URL_HOST, hostName } from './browser-guard.js';
import { handleAsyncAdmin } from './async-admin-routes.js';
import { CHAOS_PATH, handleChaos } from './chaos-routes.js';
import { handleAccountSettings, handleFunctionConcurrency, type ConcurrencyRouteDeps } from './concurrency-routes.js';
import { EVENT_INVOKE_CONFIG_PREFIX, handleEventInvokeConfig, handleListEventInvokeConfigs } from './event-invoke-config-routes.js';
import {
  handleCreateFunction,
  handleDeleteFunction,
  handleGetConfiguration,
  handleGetFunction,
  handleListFunctions,
  handleUpdateCode,
  handleUpdateConfiguration,
  type FunctionRouteDeps,
} from './function-routes.js';
import { handleInvoke } from './invoke-route.js';
import { LOG_PATH, handleLogs } from './log-routes.js';
import { PROVISIONED_CONCURRENCY_PATH, handleProvisionedConcurrency } from './provisioned-concurrency-routes.js';
import type { RequestTarget } from './request-target.js';
import { handleSqs, isSqsRequest } from './sqs-routes.js';
import { TAGS_PREFIX, handleTags } from './tag-routes.js';
import { routeTriggers } from './trigger-routes.js';
import { handleVersionsAndAliases } from './version-alias-routes.js';
import { handleDashboardApi, handleDashboardPage, isDashboardPagePath } from '../dashboard/dashboard-routes.js';
import { IMAGE_UPLOAD_PATH, handleImageUpload } from '../images/image-routes.js';
import type { ApiServerDeps } from './api-server.js';
import { serveBlob, serveCodeToZoneNode, CODE_PREFIX } from './code-routes.js';
import { sendJson } from './respond.js';
import { clusterStats } from './stats.js';
import type { ConnectionCounts } from './connection-limits.js';

/**
 * How a route authenticates its caller; the front door decides it once, from the route chosen
 * (issue 15, finding 1), and nothing downstream decides again.
 * - `signed`: SigV4 with the cluster's key when one is configured (the Lambda, SQS and admin APIs);
 * - `public`: nobody (the health check, Prometheus's scrape, the dashboard's page and files);
 * - `cluster-token`: the zone nodes' bearer token, checked by the route (code downloads);
 * - `function-url`: the URL's own `AuthType`, checked by the route.
 */
export type RouteAccess = 'signed' | 'public' | 'cluster-token' | 'function-url';

/** One routing decision. */
export interface Route {
  readonly access: RouteAccess;
  /** An injected brownout may fail it (the Lambda, SQS and function URL data paths). */
  readonly brownout: boolean;
  /** Answers the request (given the request to read: after authentication, a replay of its body). */
  run(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void>;
}

const FUNCTIONS = '/2015-03-31/functions';
const FUNCTION_URL_PATH = /^\/zonesim\/url\/([a-z0-9]{32})(\/.*)?$/;
const FUNCTION_CONCURRENCY = /^\/(2017-10-31|2019-09-30)\/functions\/([^/]+)\/concurrency$/;
const CODE_ZIP = /^\/zonesim\/v1\/functions\/([a-zA-Z0-9-_]{1,64})\/code\.zip$/;

/** Chooses the route of every request: Lambda's REST API, SQS, function URLs and zonesim's admin API. */
export class ApiRoutes {
  readonly #deps: ApiServerDeps;
  readonly #fnDeps: FunctionRouteDeps;

  readonly #connections: () => ConnectionCounts;

  constructor(deps: ApiServerDeps, apiUrl: () => string, connections: () => ConnectionCounts) {
    this.#deps = deps;
    this.#connections = connections;
    this.#fnDeps = { registry: deps.registry, account: deps.account, maxZipBytes: deps.maxZipBytes, apiUrl };
  }

  /** The route of `req`, from its method, `Host`, `X-Amz-Target` and the parsed target only. */
  choose(req: IncomingMessage, target: RequestTarget): Route {
    const method = req.method ?? 'GET';
    const path = target.path;
    const d = this.#deps;

    // A function URL's host name serves that function and nothing else, whatever the path: it is
    // never read as an API call (the bypass of finding 1 routed such requests to Invoke).
    const host = FUNCTION_URL_HOST.exec(hostName(String(req.headers.host ?? '')));
    const byPath = host ? undefined : FUNCTION_URL_PATH.exec(path);
    if (host || byPath) {
      const urlTarget = { urlId: (host?.[1] ?? byPath![1]!).toLowerCase(), rawPath: host ? path : (byPath![2] ?? '/'), rawQuery: target.rawQuery };
      return {
        access: 'function-url',
        brownout: true,
        run: async (r, res, id) => {
          if (!d.triggers) {
            r.resume();
            throw unknownOperation(method, path);
          }
          return d.triggers.urls.serve(r, res, urlTarget, id);
        },
      };
    }
    // SQS's JSON protocol posts to the queue URL's origin with X-Amz-Target: AmazonSQS.<Action>.
    if (d.queues && isSqsRequest(req)) {
      const queues = d.queues;
      return { access: 'signed', brownout: true, run: (r, res, id) => handleSqs(queues, r, res, id) };
    }
    if ((method === 'GET' || method === 'HEAD') && d.dashboard && isDashboardPagePath(path)) {
      const assets = d.dashboard.assets;
      return public_((r, res, id) => {
        r.resume();
        return handleDashboardPage(assets, res, method, path, id);
      });
    }
    if (method === 'GET' && path === '/zonesim/v1/health') return public_(async (r, res, id) => this.#health(r, res, id));
    if (method === 'GET' && path === '/metrics') return public_(async (r, res, id) => this.#metrics(r, res, id));
    if (method === 'GET' && path.startsWith(CODE_PREFIX)) {
      const sha = path.slice(CODE_PREFIX.length);
      return { access: 'cluster-token', brownout: false, run: (r, res, id) => serveCodeToZoneNode(d, r, res, sha, id) };
    }
    if (path.startsWith('/zonesim/')) return signed(false, (r, res, id) => this.#admin(r, res, method, target, id));
    return signed(true, (r, res, id) => this.#lambda(r, res, method, target, id));
  }

  /** The Lambda REST API and the trigger routes. */
  async #lambda(req: IncomingMessage, res: ServerResponse, method: string, target: RequestTarget, requestId: string): Promise<void> {
    const d = this.#deps;
    const fn = this.#fnDeps;
    const { path, query } = target;
    const trigger = d.triggers && d.queues ? routeTriggers({ triggers: d.triggers, queues: d.queues, account: d.account }, method, target) : undefined;
    if (trigger) return trigger(req, res, requestId);
    if (path === FUNCTIONS || path === `${FUNCTIONS}/`) {
      if (method === 'POST') return handleCreateFunction(fn, req, res, requestId);
      if (method === 'GET') return handleListFunctions(fn, res, query, requestId);
    } else if (path.startsWith(`${FUNCTIONS}/`)) {
      const rest = path.slice(FUNCTIONS.length + 1).split('/');
      const name = decodeURIComponent(rest[0] ?? '');
      const sub = rest.slice(1).join('/');
      if (sub === 'invocations' && method === 'POST') return handleInvoke(d, req, res, name, query, requestId);
      if (sub === '' && method === 'GET') return handleGetFunction(fn, res, name, query, requestId);
      if (sub === '' && method === 'DELETE') return handleDeleteFunction(fn, res, name, query, requestId);
      if (sub === 'configuration' && method === 'GET') return handleGetConfiguration(fn, res, name, query, requestId);
      if (sub === 'configuration' && method === 'PUT') return handleUpdateConfiguration(fn, req, res, name, requestId);
      if (sub === 'code' && method === 'PUT') return handleUpdateCode(fn, req, res, name, requestId);
      if (rest[1] === 'versions' || rest[1] === 'aliases') {
        return handleVersionsAndAliases({ registry: d.registry, account: d.account }, req, res, method, name, rest.slice(1), query, requestId);
      }
    } else if (FUNCTION_CONCURRENCY.test(path)) {
      const name = decodeURIComponent(path.split('/')[3] ?? '');
      const allowed = path.startsWith('/2019-09-30/') ? method === 'GET' : method === 'PUT' || method === 'DELETE';
      if (allowed) return handleFunctionConcurrency(this.#concurrencyDeps(), req, res, method, name, requestId);
    } else if (PROVISIONED_CONCURRENCY_PATH.test(path)) {
      const name = decodeURIComponent(PROVISIONED_CONCURRENCY_PATH.exec(path)![1]!);
      return handleProvisionedConcurrency({ provisioned: d.provisioned, account: d.account }, req, res, method, name, query, requestId);
    } else if (path.startsWith(TAGS_PREFIX)) {
      const arn = decodeURIComponent(path.slice(TAGS_PREFIX.length));
      return handleTags({ registry: d.registry, account: d.account }, req, res, method, arn, query, requestId);
    } else if (path === '/2016-08-19/account-settings' || path === '/2016-08-19/account-settings/') {
      if (method === 'GET') return handleAccountSettings(this.#concurrencyDeps(), res, requestId);
    } else if (path.startsWith(EVENT_INVOKE_CONFIG_PREFIX) && path.endsWith('/event-invoke-config/list')) {
      const name = decodeURIComponent(path.slice(EVENT_INVOKE_CONFIG_PREFIX.length, -'/event-invoke-config/list'.length));
      if (method === 'GET') return handleListEventInvokeConfigs({ registry: d.registry, account: d.account }, res, name, requestId);
    } else if (path.startsWith(EVENT_INVOKE_CONFIG_PREFIX) && path.endsWith('/event-invoke-config')) {
      const name = decodeURIComponent(path.slice(EVENT_INVOKE_CONFIG_PREFIX.length, -'/event-invoke-config'.length));
      return handleEventInvokeConfig({ registry: d.registry, account: d.account, now: () => Date.now() }, req, res, method, name, query, requestId);
    }
    req.resume();
    throw unknownOperation(method, path);
  }

  /** zonesim's admin API under `/zonesim/` (signed like the Lambda API). */
  async #admin(req: IncomingMessage, res: ServerResponse, method: string, target: RequestTarget, requestId: string): Promise<void> {
    const d = this.#deps;
    const path = target.path;
    const trigger = d.triggers && d.queues ? routeTriggers({ triggers: d.triggers, queues: d.queues, account: d.account }, method, target) : undefined;
    if (trigger) return trigger(req, res, requestId);
    if (method === 'GET' && path === '/zonesim/v1/zones') {
      sendJson(res, 200, { zones: d.membership.zones(), placement: d.router.policyName }, requestId);
      return;
    }
    if (method === 'GET' && path === '/zonesim/v1/stats') {
      sendJson(res, 200, clusterStats(d, this.#connections()), requestId);
      return;
    }
    if (path === '/zonesim/v1/async' || path === '/zonesim/v1/async/pending' || path.startsWith('/zonesim/v1/dead-letters')) {
      return handleAsyncAdmin(d.asyncInvocations, req, res, method, path, target.query, requestId);
    }
    if (d.dashboard && (await handleDashboardApi(d.dashboard, req, res, method, path, requestId))) return;
    const chaos = CHAOS_PATH.exec(path);
    if (chaos) return handleChaos({ faults: d.faults, brownout: d.brownout, degradations: d.degradations }, req, res, method, chaos, requestId);
    const logPath = LOG_PATH.exec(path);
    if (method === 'GET' && logPath) {
      return handleLogs({ logs: d.logs, registry: d.registry, account: d.account }, res, logPath[1]!, logPath[2]!, target.query, requestId);
    }
    const imageUpload = IMAGE_UPLOAD_PATH.exec(path);
    if (imageUpload) return handleImageUpload(d.registry.images, req, res, method, imageUpload[1]!, requestId);
    const codeZip = CODE_ZIP.exec(path);
    if (method === 'GET' && codeZip) {
      req.resume();
      return serveBlob(d.registry.codeStore, res, d.registry.get(codeZip[1]!).codeSha256Hex, requestId);
    }
    req.resume();
    throw unknownOperation(method, path);
  }

  #health(req: IncomingMessage, res: ServerResponse, requestId: string): void {
    req.resume();
    const zones = this.#deps.membership.zones();
    sendJson(res, 200, {
      status: 'ok',
      zones: zones.length,
      healthyZones: zones.filter((z) => z.health !== 'down').length,
      nodes: this.#deps.membership.sessions().length,
      waitingInvocations: this.#deps.router.waiting,
    }, requestId);
  }

  async #metrics(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    req.resume();
    const text = await this.#deps.metrics.text();
    res.writeHead(200, { 'content-type': this.#deps.metrics.contentType, 'x-amzn-requestid': requestId });
    res.end(text);
  }

  #concurrencyDeps(): ConcurrencyRouteDeps {
    const d = this.#deps;
    return { registry: d.registry, concurrency: d.concurrency, account: d.account, maxZipBytes: d.maxZipBytes, maxUnzippedBytes: d.maxUnzippedBytes };
  }
}

type Run = Route['run'];

function public_(run: (req: IncomingMessage, res: ServerResponse, requestId: string) => Promise<void> | void): Route {
  return { access: 'public', brownout: false, run: async (r, res, id) => run(r, res, id) };
}

function signed(brownout: boolean, run: Run): Route {
  return { access: 'signed', brownout, run };
}
