import type { Clock, Entropy, Logger } from '@zonesim/common';
import type { SigV4Verifier } from './auth/sigv4-verifier.js';
import type { CoordinatorCore } from './coordinator-core.js';
import type { DashboardRouteDeps } from './dashboard/dashboard-routes.js';
import type { EventLoopDelaySnapshot } from './event-loop-delay.js';
import { ApiServer, type ApiServerSettings } from './http/api-server.js';
import { CoordinatorMetrics } from './ledger/metrics.js';
import { ZoneLinkServer } from './membership/zone-link-server.js';
import type { UploadPoolStats } from './uploads/upload-pool.js';

/** What a shell adds to a core's front door. */
export interface FrontDoorParts {
  clock: Clock;
  entropy: Entropy;
  log: Logger;
  verifier?: SigV4Verifier | undefined;
  /** The live dashboard (the real process only). */
  dashboard?: DashboardRouteDeps;
  /** Keep Prometheus metrics (every ledger record observed) for `/metrics`. @default true; virtual time: false */
  metrics?: boolean;
  /** The process's own health for `/zonesim/v1/stats` (the real process only). */
  runtime?: { eventLoop(): EventLoopDelaySnapshot; uploads(): UploadPoolStats };
}

/**
 * The HTTP front door of a coordinator core: one route table, authentication decided from the
 * route, the browser guard, brownout, and the zone link's WebSocket endpoint. The real coordinator
 * listens with it; a virtual world hands it requests in-process (`ApiServer.dispatch`), so that
 * deploys and admin calls take the same validation path in both modes (issue 16).
 */
export function createFrontDoor(core: CoordinatorCore, settings: ApiServerSettings, parts: FrontDoorParts): { api: ApiServer; zoneLink: ZoneLinkServer } {
  const o = core.settings;
  const zoneLink = new ZoneLinkServer(core.acceptor);
  const api = new ApiServer(
    {
      registry: core.registry,
      router: core.router,
      concurrency: core.concurrency,
      maxUnzippedBytes: o.maxUnzippedBytes,
      asyncInvocations: core.asyncInvocations,
      invokeFront: core.invokeFront,
      membership: core.membership,
      zoneLink,
      account: { region: o.region, accountId: o.accountId },
      clusterToken: o.clusterToken,
      maxZipBytes: o.maxZipBytes,
      provisioned: core.provisioned,
      logs: core.logs,
      ledger: core.ledger,
      faults: core.faults,
      brownout: core.brownout,
      frontDoor: core,
      ...(parts.dashboard ? { dashboard: parts.dashboard } : {}),
      degradations: core.degradations,
      metrics:
        parts.metrics === false
          ? undefined
          : new CoordinatorMetrics({
              ledger: core.ledger,
              membership: core.membership,
              router: core.router,
              asyncInvocations: core.asyncInvocations,
              provisioned: core.provisioned,
            }),
      queues: core.queues,
      triggers: core.triggers,
      verifier: parts.verifier,
      ...(parts.runtime ? { runtime: parts.runtime } : {}),
      entropy: parts.entropy,
      clock: parts.clock,
      log: parts.log,
    },
    settings,
  );
  return { api, zoneLink };
}

/** The front door's settings from a coordinator's options. */
export function frontDoorSettings(o: CoordinatorCore['settings']): ApiServerSettings {
  return {
    listenHost: o.host,
    allowedHosts: o.allowedHosts,
    headersTimeoutMs: o.headersTimeoutMs,
    requestTimeoutMs: o.requestTimeoutMs,
    keepAliveTimeoutMs: o.keepAliveTimeoutMs,
    maxConnections: o.maxConnections,
    checkIntervalMs: o.connectionCheckIntervalMs,
  };
}
