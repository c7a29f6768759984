import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Clock, Entropy, Logger } from '@zonesim/common';
import { MAX_SYNC_PAYLOAD_BYTES } from '@zonesim/protocol';
import { RequestAuthenticator } from '../auth/request-authenticator.js';
import type { SigV4Verifier } from '../auth/sigv4-verifier.js';
import type { EventLoopDelaySnapshot } from '../event-loop-delay.js';
import type { UploadPoolStats } from '../uploads/upload-pool.js';
import { LambdaApiError } from '../errors.js';
import type { Membership } from '../membership/membership.js';
import { ZONE_LINK_PATH, type ZoneLinkServer } from '../membership/zone-link-server.js';
import type { Registry } from '../registry/registry.js';
import type { Router } from '../router/router.js';
import type { AsyncInvocations } from '../async-invocations.js';
import type { InvokeFront } from '../invocation/invoke-front.js';
import type { ConcurrencyLimits } from '../concurrency/concurrency-limits.js';
import type { ProvisionedConcurrency } from '../provisioned/provisioned-concurrency.js';
import type { LogStore } from '../logs/log-store.js';
import type { InvocationLedger } from '../ledger/invocation-ledger.js';
import type { CoordinatorMetrics } from '../ledger/metrics.js';
import type { FaultWindows } from '../chaos/fault-windows.js';
import type { ZoneDegradations } from '../chaos/zone-degradations.js';
import type { DashboardRouteDeps } from '../dashboard/dashboard-routes.js';
import type { QueueService } from '../queues/queue-service.js';
import type { Triggers } from '../triggers/triggers.js';
import { ApiRoutes } from './api-routes.js';
import { BrowserGuard } from './browser-guard.js';
import type { Brownout } from './chaos-routes.js';
import { ConnectionLimits, type ConnectionCounts, type ConnectionLimitSettings } from './connection-limits.js';
import { parseRequestTarget } from './request-target.js';
import { sendError } from './respond.js';
import { isSqsRequest, sendSqsError } from './sqs-routes.js';

/** Everything the HTTP front door routes to. */
export interface ApiServerDeps {
  registry: Registry;
  router: Router;
  concurrency: ConcurrencyLimits;
  maxUnzippedBytes: number;
  asyncInvocations: AsyncInvocations;
  /** Lambda's Invoke (its checks, then the invocation pipeline). */
  invokeFront: InvokeFront;
  membership: Membership;
  zoneLink: ZoneLinkServer;
  account: { region: string; accountId: string };
  clusterToken: string;
  maxZipBytes: number;
  provisioned: ProvisionedConcurrency;
  logs: LogStore;
  ledger: InvocationLedger;
  /** Prometheus metrics (`/metrics`); absent in virtual time, where nothing scrapes them. */
  metrics?: CoordinatorMetrics | undefined;
  faults: FaultWindows;
  brownout: Brownout;
  /** Whether an injected brownout fails this call: the core decides it for every entry point. */
  frontDoor: { browningOut(): boolean; brownoutError(): Error };
  degradations: ZoneDegradations;
  /** The live dashboard: its page at `/`, its feed, "explain" and controls (issue 9). */
  dashboard?: DashboardRouteDeps;
  /** The built-in queue service (SQS JSON protocol, issue 7). */
  queues?: QueueService;
  /** Event source mappings, function URLs, schedules (issue 7). */
  triggers?: Triggers;
  /** Checks SigV4 signatures; undefined when authentication is off. */
  verifier?: SigV4Verifier | undefined;
  /** The process's own health for `/zonesim/v1/stats`: event-loop delay, upload workers (issue 15, finding 4). */
  runtime?: { eventLoop(): EventLoopDelaySnapshot; uploads(): UploadPoolStats };
  /** Request ids and brownout draws. */
  entropy: Entropy;
  /** Timestamps of records and answers. */
  clock: Clock;
  log: Logger;
}

/** Front-door settings of {@link ApiServer}: the host allowlist and the connection bounds. */
export interface ApiServerSettings extends ConnectionLimitSettings {
  /** The interface the server listens on. */
  listenHost: string;
  /** More `Host` names accepted from unsigned callers (DNS-rebinding defence). */
  allowedHosts: readonly string[];
}

/**
 * The coordinator's HTTP server: the Lambda REST API (the paths of lambda-facts 2), SQS's JSON
 * protocol, function URLs, zonesim's admin API under `/zonesim/v1/`, the code endpoint zone nodes
 * fetch packages from, and the WebSocket upgrade for zone links.
 *
 * Every request goes through one pipeline (issue 15): its target is parsed once (400 when it could
 * be read two ways), its route is chosen once from that ({@link ApiRoutes}), and the route says
 * how the caller is authenticated. A request without a verified signature must name an allowed
 * `Host` and, unless it is for a function URL, come from no other web origin ({@link BrowserGuard}).
 */
export class ApiServer {
  readonly server: Server;
  readonly #deps: ApiServerDeps;
  readonly #routes: ApiRoutes;
  readonly #guard: BrowserGuard;
  readonly #limits: ConnectionLimits;
  readonly #sockets = new Set<Socket>();
  readonly #authenticator: RequestAuthenticator | undefined;
  #url = '';

  constructor(deps: ApiServerDeps, settings: ApiServerSettings) {
    this.#deps = deps;
    this.#guard = new BrowserGuard(settings);
    this.#limits = new ConnectionLimits(settings);
    this.#routes = new ApiRoutes(deps, () => this.#url, () => this.#limits.counts());
    // The signature covers the body, so it is read before routing: up to the largest body any route
    // takes (CreateFunction's base64 zip, as function-routes sizes it, or a sync Invoke payload).
    const maxBodyBytes = Math.max(Math.ceil((deps.maxZipBytes * 4) / 3) + 256 * 1024, MAX_SYNC_PAYLOAD_BYTES);
    this.#authenticator = deps.verifier ? new RequestAuthenticator(deps.verifier, { maxBodyBytes }) : undefined;
    this.server = createServer(this.#limits.serverOptions(), (req, res) => this.#handle(req, res));
    this.#limits.attach(this.server);
    this.server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      // Zone nodes send no Origin; a browser always does on a WebSocket handshake.
      if (pathOf(req.url) === ZONE_LINK_PATH && req.headers.origin === undefined) {
        this.#limits.upgraded(socket);
        deps.zoneLink.handleUpgrade(req, socket, head);
      } else {
        socket.destroy();
      }
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return;
      // Node answers a request too slow for headersTimeout / requestTimeout with 408.
      if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') socket.end('HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      else socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
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

  /** Open, idle, evicted and refused HTTP connections (docs/limits.md). */
  get connections(): ConnectionCounts {
    return this.#limits.counts();
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

  /**
   * One request handed over in-process, with no connection under it (virtual time's API transport,
   * issue 16): the same route table, authentication, browser guard, brownout and handlers as a
   * request that came over HTTP. `req` must carry `method`, `url`, `headers` and the body as a
   * stream; `res` is written as a `ServerResponse` would be.
   */
  dispatch(req: IncomingMessage, res: ServerResponse): void {
    this.#serve(req, res);
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    // A connection refused for the cap: nothing it sends is acted on.
    if (!this.#limits.admitted(req.socket)) {
      req.socket.destroy();
      return;
    }
    this.#serve(req, res);
  }

  #serve(req: IncomingMessage, res: ServerResponse): void {
    const requestId = this.#deps.entropy.uuid();
    this.#pipeline(req, res, requestId).catch((err: unknown) => {
      if (!(err instanceof LambdaApiError) || err.status >= 500) {
        this.#deps.log.error({ requestId, method: req.method, url: req.url, err }, 'request failed');
      }
      if (!req.complete) req.resume();
      if (isSqsRequest(req)) sendSqsError(res, err, requestId);
      else sendError(res, err, requestId);
    });
  }

  async #pipeline(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const target = parseRequestTarget(req.url);
    const route = this.#routes.choose(req, target);
    let request = req;
    let signed = false;
    if (route.access === 'signed' && this.#authenticator) {
      request = await this.#authenticator.authenticate(req);
      signed = true;
    }
    // Only a verified signature or the cluster token (checked by its route) proves the caller is
    // not a web page: no page holds either. Zone nodes on other machines may name the coordinator
    // by any host name.
    if (!signed && route.access !== 'cluster-token') {
      this.#guard.checkHost(req.headers);
      if (route.access !== 'function-url') this.#guard.checkSameOrigin(req.headers);
    }
    // Injected brownout: the front door fails the call before accepting anything.
    if (route.brownout && this.#deps.frontDoor.browningOut()) throw this.#deps.frontDoor.brownoutError();
    return route.run({ req: request, res, requestId });
  }
}

function pathOf(url: string | undefined): string {
  const q = (url ?? '/').indexOf('?');
  return q < 0 ? (url ?? '/') : (url ?? '/').slice(0, q);
}
