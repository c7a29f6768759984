import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import { newRequestId, type Logger } from '@zonesim/common';
import { MAX_SYNC_PAYLOAD_BYTES } from '@zonesim/protocol';
import { RequestAuthenticator } from '../auth/request-authenticator.js';
import type { SigV4Verifier } from '../auth/sigv4-verifier.js';
import { unknownOperation, resourceNotFound, LambdaApiError } from '../errors.js';
import type { Membership } from '../membership/membership.js';
import { ZONE_LINK_PATH, type ZoneLinkServer } from '../membership/zone-link-server.js';
import type { Registry } from '../registry/registry.js';
import type { Router } from '../router/router.js';
import type { AsyncInvocations } from '../async-invocations.js';
import { handleAsyncAdmin } from './async-admin-routes.js';
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
import { TAGS_PREFIX, handleTags } from './tag-routes.js';
import { handleAccountSettings, handleFunctionConcurrency, type ConcurrencyRouteDeps } from './concurrency-routes.js';
import type { ConcurrencyLimits } from '../concurrency/concurrency-limits.js';
import { handleVersionsAndAliases } from './version-alias-routes.js';
import { EVENT_INVOKE_CONFIG_PREFIX, handleEventInvokeConfig, handleListEventInvokeConfigs } from './event-invoke-config-routes.js';
import { sendError, sendJson } from './respond.js';
import { PROVISIONED_CONCURRENCY_PATH, handleProvisionedConcurrency } from './provisioned-concurrency-routes.js';
import { LOG_PATH, handleLogs } from './log-routes.js';
import type { ProvisionedConcurrency } from '../provisioned/provisioned-concurrency.js';
import type { LogStore } from '../logs/log-store.js';
import type { InvocationLedger } from '../ledger/invocation-ledger.js';
import type { CoordinatorMetrics } from '../ledger/metrics.js';
import type { FaultWindows } from '../chaos/fault-windows.js';
import type { ZoneDegradations } from '../chaos/zone-degradations.js';
import { CHAOS_PATH, handleChaos, type Brownout } from './chaos-routes.js';
import { handleDashboardApi, handleDashboardPage, isDashboardPagePath, type DashboardRouteDeps } from '../dashboard/dashboard-routes.js';
import { serviceException } from '../errors.js';
import { IMAGE_UPLOAD_PATH, handleImageUpload } from '../images/image-routes.js';
import type { QueueService } from '../queues/queue-service.js';
import { handleSqs, isSqsRequest, sendSqsError } from './sqs-routes.js';
import type { Triggers } from '../triggers/triggers.js';
import { functionUrlTarget } from '../triggers/function-urls.js';
import { routeTriggers } from './trigger-routes.js';

/** Everything the HTTP front door routes to. */
export interface ApiServerDeps {
  registry: Registry;
  router: Router;
  concurrency: ConcurrencyLimits;
  maxUnzippedBytes: number;
  asyncInvocations: AsyncInvocations;
  membership: Membership;
  zoneLink: ZoneLinkServer;
  account: { region: string; accountId: string };
  clusterToken: string;
  maxZipBytes: number;
  provisioned: ProvisionedConcurrency;
  logs: LogStore;
  ledger: InvocationLedger;
  metrics: CoordinatorMetrics;
  faults: FaultWindows;
  brownout: Brownout;
  degradations: ZoneDegradations;
  /** The live dashboard: its page at `/`, its feed, "explain" and controls (issue 9). */
  dashboard?: DashboardRouteDeps;
  /** The built-in queue service (SQS JSON protocol, issue 7). */
  queues?: QueueService;
  /** Event source mappings, function URLs, schedules (issue 7). */
  triggers?: Triggers;
  /** Checks SigV4 signatures; undefined when authentication is off. */
  verifier?: SigV4Verifier | undefined;
  log: Logger;
}

const FUNCTIONS = '/2015-03-31/functions';
const CODE_PREFIX = '/zonesim/v1/code/';

/**
 * The coordinator's HTTP server: the Lambda REST API (the paths of lambda-facts 2), zonesim's admin
 * API under `/zonesim/v1/`, the code endpoint zone nodes fetch packages from, and the WebSocket
 * upgrade for zone links.
 */
export class ApiServer {
  readonly server: Server;
  readonly #deps: ApiServerDeps;
  readonly #fnDeps: FunctionRouteDeps;
  readonly #sockets = new Set<Socket>();
  readonly #authenticator: RequestAuthenticator | undefined;
  #url = '';

  constructor(deps: ApiServerDeps) {
    this.#deps = deps;
    this.#fnDeps = { registry: deps.registry, account: deps.account, maxZipBytes: deps.maxZipBytes, apiUrl: () => this.#url };
    // The signature covers the body, so it is read before routing: up to the largest body any route
    // takes (CreateFunction's base64 zip, as function-routes sizes it, or a sync Invoke payload).
    const maxBodyBytes = Math.max(Math.ceil((deps.maxZipBytes * 4) / 3) + 256 * 1024, MAX_SYNC_PAYLOAD_BYTES);
    this.#authenticator = deps.verifier ? new RequestAuthenticator(deps.verifier, { maxBodyBytes }) : undefined;
    this.server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => this.#handle(req, res));
    this.server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    this.server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
      if (pathOf(req.url) === ZONE_LINK_PATH) deps.zoneLink.handleUpgrade(req, socket, head);
      else socket.destroy();
    });
    this.server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    });
  }

  /** Listens; resolves with the base URL. */
  listen(host: string, port: number): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        if (addr === null || typeof addr === 'string') return reject(new Error('server has no TCP address'));
        const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
        this.#url = `http://${shownHost}:${addr.port}`;
        resolve(this.#url);
      });
    });
  }

  get url(): string {
    return this.#url;
  }

  /** Stops accepting and closes idle keep-alive connections; in-flight requests finish. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  /** Destroys every connection still open. */
  destroy(): void {
    for (const s of this.#sockets) s.destroy();
    this.server.closeAllConnections();
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const requestId = newRequestId();
    this.#authenticated(req).then((checked) => this.#route(checked, res, requestId)).catch((err: unknown) => {
      if (!(err instanceof LambdaApiError) || err.status >= 500) {
        this.#deps.log.error({ requestId, method: req.method, url: req.url, err }, 'request failed');
      }
      if (isSqsRequest(req)) sendSqsError(res, err, requestId);
      else sendError(res, err, requestId);
    });
  }

  /**
   * With authentication on, every request but the zone nodes' (code downloads carry the cluster
   * token; the zone link upgrade never comes here) and the health check must carry a valid SigV4
   * signature; routes then get a request whose body can be read again.
   */
  async #authenticated(req: IncomingMessage): Promise<IncomingMessage> {
    if (!this.#authenticator) return req;
    // The path as #route will see it (dot segments resolved), so `/zonesim/v1/code/../…` is not exempt.
    if (req.method === 'GET' && isUnauthenticatedPath(new URL(req.url ?? '/', 'http://localhost').pathname)) return req;
    // A function URL checks its own AuthType (NONE takes anyone; AWS_IAM verifies the signature).
    if (this.#deps.triggers && functionUrlTarget(req)) return req;
    return this.#authenticator.authenticate(req);
  }

  async #route(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const d = this.#fnDeps;
    if (this.#deps.brownout.failRate > 0 && !path.startsWith('/zonesim/') && path !== '/metrics' && !isDashboardPagePath(path) && Math.random() < this.#deps.brownout.failRate) {
      // Injected brownout: the front door fails the call before accepting anything.
      req.resume();
      throw serviceException('Brownout injected by zonesim: the front door failed this request.');
    }
    // SQS's JSON protocol posts to the queue URL's origin with X-Amz-Target: AmazonSQS.<Action>.
    if (this.#deps.queues && isSqsRequest(req)) return handleSqs(this.#deps.queues, req, res, requestId);
    const trigger = this.#deps.triggers && this.#deps.queues && !path.startsWith(`${FUNCTIONS}/`)
      ? routeTriggers({ triggers: this.#deps.triggers, queues: this.#deps.queues, account: this.#deps.account }, req, url)
      : undefined;
    if (trigger) return trigger(res, requestId);
    if (path === FUNCTIONS || path === `${FUNCTIONS}/`) {
      if (method === 'POST') return handleCreateFunction(d, req, res, requestId);
      if (method === 'GET') return handleListFunctions(d, res, url.searchParams, requestId);
    } else if (path.startsWith(`${FUNCTIONS}/`)) {
      const rest = path.slice(FUNCTIONS.length + 1).split('/');
      const name = decodeURIComponent(rest[0] ?? '');
      const sub = rest.slice(1).join('/');
      if (sub === 'invocations' && method === 'POST') {
        return handleInvoke({ ...this.#deps }, req, res, name, url.searchParams, requestId);
      }
      if (sub === '' && method === 'GET') return handleGetFunction(d, res, name, url.searchParams, requestId);
      if (sub === '' && method === 'DELETE') return handleDeleteFunction(d, res, name, url.searchParams, requestId);
      if (sub === 'configuration' && method === 'GET') return handleGetConfiguration(d, res, name, url.searchParams, requestId);
      if (sub === 'configuration' && method === 'PUT') return handleUpdateConfiguration(d, req, res, name, requestId);
      if (sub === 'code' && method === 'PUT') return handleUpdateCode(d, req, res, name, requestId);
      if (rest[1] === 'versions' || rest[1] === 'aliases') {
        return handleVersionsAndAliases({ registry: this.#deps.registry, account: this.#deps.account }, req, res, method, name, rest.slice(1), url.searchParams, requestId);
      }
    } else if (/^\/(2017-10-31|2019-09-30)\/functions\/[^/]+\/concurrency$/.test(path)) {
      const name = decodeURIComponent(path.split('/')[3] ?? '');
      const allowed = path.startsWith('/2019-09-30/') ? method === 'GET' : method === 'PUT' || method === 'DELETE';
      if (allowed) return handleFunctionConcurrency(this.#concurrencyDeps(), req, res, method, name, requestId);
    } else if (PROVISIONED_CONCURRENCY_PATH.test(path)) {
      const name = decodeURIComponent(PROVISIONED_CONCURRENCY_PATH.exec(path)![1]!);
      return handleProvisionedConcurrency(
        { provisioned: this.#deps.provisioned, account: this.#deps.account },
        req, res, method, name, url.searchParams, requestId,
      );
    } else if (path.startsWith(TAGS_PREFIX)) {
      const arn = decodeURIComponent(path.slice(TAGS_PREFIX.length));
      return handleTags({ registry: this.#deps.registry, account: this.#deps.account }, req, res, method, arn, url.searchParams, requestId);
    } else if (path === '/2016-08-19/account-settings' || path === '/2016-08-19/account-settings/') {
      if (method === 'GET') return handleAccountSettings(this.#concurrencyDeps(), res, requestId);
    } else if (path.startsWith(EVENT_INVOKE_CONFIG_PREFIX) && path.endsWith('/event-invoke-config/list')) {
      const name = decodeURIComponent(path.slice(EVENT_INVOKE_CONFIG_PREFIX.length, -'/event-invoke-config/list'.length));
      if (method === 'GET') return handleListEventInvokeConfigs({ registry: this.#deps.registry, account: this.#deps.account }, res, name, requestId);
    } else if (path.startsWith(EVENT_INVOKE_CONFIG_PREFIX) && path.endsWith('/event-invoke-config')) {
      const name = decodeURIComponent(path.slice(EVENT_INVOKE_CONFIG_PREFIX.length, -'/event-invoke-config'.length));
      return handleEventInvokeConfig(
        { registry: this.#deps.registry, account: this.#deps.account, now: () => Date.now() },
        req, res, method, name, url.searchParams, requestId,
      );
    } else if (path === '/metrics' && method === 'GET') {
      const text = await this.#deps.metrics.text();
      res.writeHead(200, { 'content-type': this.#deps.metrics.contentType, 'x-amzn-requestid': requestId });
      res.end(text);
      return;
    } else if (path.startsWith('/zonesim/v1/')) {
      return this.#admin(req, res, method, path, requestId);
    } else if (this.#deps.dashboard && isDashboardPagePath(path)) {
      req.resume();
      return handleDashboardPage(this.#deps.dashboard.assets, res, method, path, requestId);
    }
    req.resume();
    throw unknownOperation(method, path);
  }

  #concurrencyDeps(): ConcurrencyRouteDeps {
    const d = this.#deps;
    return { registry: d.registry, concurrency: d.concurrency, account: d.account, maxZipBytes: d.maxZipBytes, maxUnzippedBytes: d.maxUnzippedBytes };
  }

  async #admin(req: IncomingMessage, res: ServerResponse, method: string, path: string, requestId: string): Promise<void> {
    if (method === 'GET' && path === '/zonesim/v1/zones') {
      sendJson(res, 200, { zones: this.#deps.membership.zones(), placement: this.#deps.router.policyName }, requestId);
      return;
    }
    if (method === 'GET' && path === '/zonesim/v1/health') {
      const zones = this.#deps.membership.zones();
      sendJson(res, 200, {
        status: 'ok',
        zones: zones.length,
        healthyZones: zones.filter((z) => z.health !== 'down').length,
        nodes: this.#deps.membership.sessions().length,
        waitingInvocations: this.#deps.router.waiting,
      }, requestId);
      return;
    }
    if (method === 'GET' && path === '/zonesim/v1/stats') {
      sendJson(res, 200, this.#stats(), requestId);
      return;
    }
    if (method === 'GET' && path.startsWith(CODE_PREFIX)) {
      return this.#serveCode(req, res, path.slice(CODE_PREFIX.length), requestId);
    }
    if (path === '/zonesim/v1/async' || path === '/zonesim/v1/async/pending' || path.startsWith('/zonesim/v1/dead-letters')) {
      return handleAsyncAdmin(this.#deps.asyncInvocations, req, res, method, path, requestId);
    }
    if (this.#deps.dashboard && (await handleDashboardApi(this.#deps.dashboard, req, res, method, path, requestId))) return;
    const chaos = CHAOS_PATH.exec(path);
    if (chaos) {
      return handleChaos({ faults: this.#deps.faults, brownout: this.#deps.brownout, degradations: this.#deps.degradations }, req, res, method, chaos, requestId);
    }
    const logPath = LOG_PATH.exec(path);
    if (method === 'GET' && logPath) {
      return handleLogs({ logs: this.#deps.logs, registry: this.#deps.registry, account: this.#deps.account }, res, logPath[1]!, logPath[2]!, new URL(req.url ?? '/', 'http://localhost').searchParams, requestId);
    }
    const imageUpload = IMAGE_UPLOAD_PATH.exec(path);
    if (imageUpload) return handleImageUpload(this.#deps.registry.images, req, res, method, imageUpload[1]!, requestId);
    const codeZip = /^\/zonesim\/v1\/functions\/([a-zA-Z0-9-_]{1,64})\/code\.zip$/.exec(path);
    if (method === 'GET' && codeZip) {
      const record = this.#deps.registry.get(codeZip[1]!);
      return this.#streamBlob(res, record.codeSha256Hex, requestId);
    }
    throw unknownOperation(method, path);
  }

  /** Live numbers as JSON: zones, invocations (counts, latency, last minute), async queue, bill. */
  #stats(): Record<string, unknown> {
    const d = this.#deps;
    let queue: unknown = null;
    try {
      queue = d.asyncInvocations.store.stats();
    } catch {
      // not running
    }
    return {
      time: new Date().toISOString(),
      zones: d.membership.zones().map((z) => ({ zone: z.zone, health: z.health, nodes: z.nodes.length, inFlight: z.nodes.reduce((n, x) => n + x.inFlight, 0) })),
      waitingInvocations: d.router.waiting,
      invocations: d.ledger.stats(),
      async: queue,
      provisionedConcurrency: d.provisioned.allocations(),
      billing: d.ledger.billing.run(),
    };
  }

  /** Zone nodes fetch packages here, presenting the cluster token as a bearer token. */
  #serveCode(req: IncomingMessage, res: ServerResponse, sha: string, requestId: string): Promise<void> {
    const auth = req.headers.authorization ?? '';
    const given = Buffer.from(auth.startsWith('Bearer ') ? auth.slice(7) : '');
    const expected = Buffer.from(this.#deps.clusterToken);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new LambdaApiError('AccessDeniedException', 403, 'A valid cluster token is required to fetch code.');
    }
    if (!/^[0-9a-f]{64}$/.test(sha)) throw resourceNotFound(`No code with SHA-256 ${sha.slice(0, 80)}`);
    return this.#streamBlob(res, sha, requestId);
  }

  async #streamBlob(res: ServerResponse, sha: string, requestId: string): Promise<void> {
    const store = this.#deps.registry.codeStore;
    if (!(await store.has(sha))) throw resourceNotFound(`No code with SHA-256 ${sha}`);
    const stream = createReadStream(store.path(sha));
    stream.once('open', () => {
      res.writeHead(200, { 'content-type': 'application/zip', 'x-amzn-requestid': requestId });
      stream.pipe(res);
    });
    stream.once('error', (err) => sendError(res, resourceNotFound(`No code with SHA-256 ${sha}: ${err.message}`), requestId));
  }
}

/**
 * Paths served without a SigV4 signature: the health check, Prometheus's scrape (scrapers cannot
 * sign), the token-protected code download, and the dashboard's page and files (they hold no data:
 * the page signs its own API calls when authentication is on).
 */
function isUnauthenticatedPath(path: string): boolean {
  return path === '/zonesim/v1/health' || path === '/metrics' || path.startsWith(CODE_PREFIX) || isDashboardPagePath(path);
}

function pathOf(url: string | undefined): string {
  const q = (url ?? '/').indexOf('?');
  return q < 0 ? (url ?? '/') : (url ?? '/').slice(0, q);
}
