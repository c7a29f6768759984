import type { IncomingMessage, ServerResponse } from 'node:http';
import { resourceNotFound, unknownOperation } from '../errors.js';
import { DASHBOARD_PAGE_PATH, handleDashboardApi, handleDashboardPage } from '../dashboard/dashboard-routes.js';
import { IMAGE_UPLOAD_PATH, handleImageUpload } from '../images/image-routes.js';
import type { ApiServerDeps } from './api-server.js';
import { handleAsyncAdmin } from './async-admin-routes.js';
import { CHAOS_PATH, handleChaos } from './chaos-routes.js';
import { CODE_PREFIX, serveBlob, serveCodeToZoneNode } from './code-routes.js';
import type { ConnectionCounts } from './connection-limits.js';
import { LOG_PATH, handleLogs } from './log-routes.js';
import { sendJson } from './respond.js';
import { row, type RouteRow } from './route-table.js';
import { clusterStats } from './stats.js';

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * zonesim's own rows: the admin API under `/zonesim/v1/` (signed like the Lambda API, never failed
 * by a brownout), the few public paths (health, Prometheus's scrape, the dashboard's page and files)
 * and the zone nodes' code download (the cluster token).
 */
export function adminRoutes(deps: ApiServerDeps, connections: () => ConnectionCounts): RouteRow[] {
  const admin = (methods: string | readonly string[] | '*', path: RegExp, handle: RouteRow['handle']): RouteRow => row(methods, path, 'signed', false, handle);
  const open = (methods: string | readonly string[], path: RegExp, handle: RouteRow['handle']): RouteRow => row(methods, path, 'public', false, handle);
  const logDeps = { logs: deps.logs, registry: deps.registry, account: deps.account };
  const chaosDeps = { faults: deps.faults, brownout: deps.brownout, degradations: deps.degradations };
  const rows: RouteRow[] = [
    open('GET', /^\/zonesim\/v1\/health$/, (c) => health(deps, c.req, c.res, c.requestId)),
    open('GET', /^\/metrics$/, (c) => metrics(deps, c.req, c.res, c.requestId)),
    row('GET', new RegExp(`^${escape(CODE_PREFIX)}(.*)$`), 'cluster-token', false, (c) => serveCodeToZoneNode(deps, c.req, c.res, c.params[0]!, c.requestId)),
    admin('GET', /^\/zonesim\/v1\/zones$/, (c) => sendJson(c.res, 200, { zones: deps.membership.zones(), placement: deps.router.policyName }, c.requestId)),
    admin('GET', /^\/zonesim\/v1\/stats$/, (c) => sendJson(c.res, 200, clusterStats(deps, connections()), c.requestId)),
    admin('*', /^\/zonesim\/v1\/(?:async|async\/pending|dead-letters.*)$/, (c) =>
      handleAsyncAdmin(deps.asyncInvocations, c.req, c.res, c.method, c.target.path, c.target.query, c.requestId)),
    admin('*', CHAOS_PATH, (c) => handleChaos(chaosDeps, c.req, c.res, c.method, CHAOS_PATH.exec(c.target.path)!, c.requestId)),
    admin('GET', LOG_PATH, (c) => handleLogs(logDeps, c.res, c.params[0]!, c.params[1]!, c.target.query, c.requestId)),
    admin('*', IMAGE_UPLOAD_PATH, (c) => handleImageUpload(deps.registry.images, c.req, c.res, c.method, c.params[0]!, c.requestId)),
    admin('GET', /^\/zonesim\/v1\/functions\/([a-zA-Z0-9-_]{1,64})\/code\.zip$/, (c) =>
      serveBlob(deps.registry.codeStore, c.res, deps.registry.get(c.params[0]!).codeSha256Hex, c.requestId)),
    // A layer version's Content.Location.
    admin('GET', /^\/zonesim\/v1\/layers\/([a-zA-Z0-9-_]{1,140})\/versions\/(\d{1,9})\/content\.zip$/, (c) =>
      serveBlob(deps.registry.codeStore, c.res, deps.registry.layers.get(c.params[0]!, Number(c.params[1])).sha256Hex, c.requestId)),
  ];
  const dashboard = deps.dashboard;
  if (dashboard) {
    rows.push(
      // The dashboard's API tells its paths and methods apart itself.
      admin('*', /^\/zonesim\/v1\/(?:dashboard\/events|invocations(?:\/.*)?|control(?:\/.*)?)$/, async (c) => {
        if (!(await handleDashboardApi(dashboard, c.req, c.res, c.method, c.target.path, c.requestId))) throw unknownOperation(c.method, c.target.path);
      }),
      open(['GET', 'HEAD'], DASHBOARD_PAGE_PATH, (c) => handleDashboardPage(dashboard.assets, c.res, c.method, c.target.path, c.requestId)),
    );
  }
  return rows;
}

function health(deps: ApiServerDeps, req: IncomingMessage, res: ServerResponse, requestId: string): void {
  req.resume();
  const zones = deps.membership.zones();
  sendJson(res, 200, {
    status: 'ok',
    zones: zones.length,
    healthyZones: zones.filter((z) => z.health !== 'down').length,
    nodes: deps.membership.sessions().length,
    waitingInvocations: deps.router.waiting,
  }, requestId);
}

async function metrics(deps: ApiServerDeps, req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
  req.resume();
  if (!deps.metrics) throw resourceNotFound('This coordinator keeps no Prometheus metrics (a virtual-time run: its ledger and report hold the figures).');
  const text = await deps.metrics.text();
  res.writeHead(200, { 'content-type': deps.metrics.contentType, 'x-amzn-requestid': requestId });
  res.end(text);
}
