import type { IncomingMessage, ServerResponse } from 'node:http';
import { readLedger, type LedgerRecord } from '@zonesim/ledger';
import type { ControlAction } from '@zonesim/dashboard';
import { invalidParameter, LambdaApiError, resourceNotFound, unsupportedMediaType } from '../errors.js';
import type { AsyncInvocations } from '../async-invocations.js';
import type { InvocationLedger } from '../ledger/invocation-ledger.js';
import type { LogStore } from '../logs/log-store.js';
import type { ClusterControl } from '../supervisor/cluster-control.js';
import { readJsonObject } from '../http/body.js';
import { sendJson } from '../http/respond.js';
import type { DashboardAssets } from './dashboard-assets.js';
import type { DashboardFeed } from './dashboard-feed.js';
import type { ResolvedDashboardOptions } from './dashboard-options.js';
import { buildInvocationStory, type StoryInputs } from './invocation-story.js';
import type { IndexedAttempt } from './request-index.js';

/** What the dashboard's routes use. */
export interface DashboardRouteDeps {
  feed: DashboardFeed;
  control: ClusterControl;
  assets: DashboardAssets;
  ledger: InvocationLedger;
  /** `<dataDir>/ledger`. */
  ledgerDir: string;
  logs: LogStore;
  asyncInvocations: AsyncInvocations;
  settings: ResolvedDashboardOptions;
}

/** The page's event stream. */
export const DASHBOARD_EVENTS_PATH = '/zonesim/v1/dashboard/events';

const INVOCATION = /^\/zonesim\/v1\/invocations\/([A-Za-z0-9._:-]{1,128})$/;
const ZONE_CONTROL = /^\/zonesim\/v1\/control\/zones\/([A-Za-z0-9._-]{1,64})\/(kill|freeze|partition|latency|gray|heal)$/;
const SCENARIO_CONTROL = /^\/zonesim\/v1\/control\/scenarios\/([a-z0-9][a-z0-9-]{0,63})$/;

/** Log lines scanned at most for one story (pages of 10,000 lines of the function). */
const MAX_LOG_SCAN_PAGES = 5;

// The page's policy: everything from this server, nothing inline, nothing else.
const PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** The page's paths: `/` and its files under `/dashboard/` (served without a signature: they hold no data). */
export const DASHBOARD_PAGE_PATH = /^\/(?:dashboard\/.*)?$/;

/** `GET /` and `GET /dashboard/...`: the page and its files. */
export async function handleDashboardPage(assets: DashboardAssets, res: ServerResponse, method: string, path: string, requestId: string): Promise<void> {
  if (method !== 'GET' && method !== 'HEAD') throw new LambdaApiError('UnsupportedOperationException', 405, `${method} is not allowed on ${path}`);
  let asset;
  try {
    asset = await assets.get(path);
  } catch (err) {
    throw new LambdaApiError('ServiceException', 503, `The dashboard is not available: ${(err as Error).message}`);
  }
  if (!asset) throw resourceNotFound(`No dashboard file ${path}`);
  res.writeHead(200, {
    'content-type': asset.contentType,
    'content-length': asset.body.length,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'x-amzn-requestid': requestId,
    ...(asset.contentType.startsWith('text/html') ? { 'content-security-policy': PAGE_CSP, 'referrer-policy': 'no-referrer' } : {}),
  });
  res.end(method === 'HEAD' ? undefined : asset.body);
}

/**
 * The dashboard's API (docs/api.md), under the admin API and its authentication:
 * - `GET /zonesim/v1/dashboard/events`: the live feed (server-sent events);
 * - `GET /zonesim/v1/invocations/{requestId}`: the story of one invocation;
 * - `GET /zonesim/v1/invocations`: recent notable invocations;
 * - `GET /zonesim/v1/control`; `POST /zonesim/v1/control/zones/{zone}/{kill|freeze|partition|latency|gray|heal}`;
 *   `POST /zonesim/v1/control/scenarios/{name}`, `DELETE /zonesim/v1/control/scenario`.
 * Returns false when the path is none of these.
 */
export async function handleDashboardApi(deps: DashboardRouteDeps, req: IncomingMessage, res: ServerResponse, method: string, path: string, requestId: string): Promise<boolean> {
  if (path === DASHBOARD_EVENTS_PATH && method === 'GET') {
    deps.feed.connect(req, res, requestId);
    return true;
  }
  if (path === '/zonesim/v1/invocations' && method === 'GET') {
    sendJson(res, 200, { notable: deps.feed.notable(), index: deps.feed.stats.index }, requestId);
    return true;
  }
  const invocation = INVOCATION.exec(path);
  if (invocation && method === 'GET') {
    sendJson(res, 200, await story(deps, invocation[1]!), requestId);
    return true;
  }
  if (path === '/zonesim/v1/control' && method === 'GET') {
    sendJson(res, 200, deps.control.view(), requestId);
    return true;
  }
  const zone = ZONE_CONTROL.exec(path);
  if (zone && method === 'POST') {
    const body = await controlBody(req);
    const action = zone[2]!;
    const view = action === 'heal'
      ? await deps.control.heal(zone[1]!)
      : await deps.control.zone(zone[1]!, action as ControlAction, {
          ...numberField(body, 'latencyMs'),
          ...numberField(body, 'slowFactor'),
          ...numberField(body, 'failRate'),
        });
    sendJson(res, 200, view, requestId);
    return true;
  }
  const scenario = SCENARIO_CONTROL.exec(path);
  if (scenario && method === 'POST') {
    await controlBody(req);
    sendJson(res, 200, await deps.control.startScenario(scenario[1]!), requestId);
    return true;
  }
  if (path === '/zonesim/v1/control/scenario' && method === 'DELETE') {
    req.resume();
    sendJson(res, 200, await deps.control.stopScenario(), requestId);
    return true;
  }
  return false;
}

/**
 * A control's body, JSON only. Requests from another web origin never get here (the front door's
 * BrowserGuard refuses them); requiring JSON also makes any browser preflight, which zonesim
 * answers with no CORS.
 */
async function controlBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    req.resume();
    throw unsupportedMediaType('Controls take a JSON body (content-type: application/json).');
  }
  return readJsonObject(req, 16 * 1024, 'Control');
}

function numberField(body: Record<string, unknown>, field: string): Record<string, number> {
  const v = body[field];
  if (v === undefined) return {};
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidParameter(`${field} must be a number`);
  return { [field]: v };
}

/** Gathers one request id's records, async state and log lines, and builds its story. */
async function story(deps: DashboardRouteDeps, requestId: string) {
  let attempts: IndexedAttempt[] | undefined = deps.feed.index.get(requestId)?.attempts;
  let source: StoryInputs['source'] = 'index';
  if (!attempts || attempts.length === 0) {
    attempts = (await scanLedger(deps, requestId)).map((record) => ({ record }));
    source = 'ledger-files';
  }
  if (attempts.length === 0) throw resourceNotFound(`No invocation ${requestId} in the recent index or the ledger files.`);
  const inputs: StoryInputs = { requestId, attempts, source, logLines: logLinesOf(deps, requestId, attempts.map((a) => a.record)) };
  try {
    const store = deps.asyncInvocations.store;
    const event = store.get(requestId);
    if (event) inputs.asyncEvent = { status: event.status, attempt: event.attempt, nextAttemptAt: event.nextAttemptAt };
    const dead = store.getDeadLetter(requestId);
    if (dead) inputs.deadLetter = { condition: dead.condition, reason: dead.reason, attempts: dead.attempts, deadAt: dead.deadAt };
  } catch {
    // The async queue is not running (starting or stopping): the story has the ledger's part.
  }
  return buildInvocationStory(inputs);
}

/** An id the index no longer holds: read the ledger files, within bounds (records and time). */
async function scanLedger(deps: DashboardRouteDeps, requestId: string): Promise<LedgerRecord[]> {
  await deps.ledger.writer.flushThrough().catch(() => undefined);
  const found: LedgerRecord[] = [];
  const signal = AbortSignal.timeout(deps.settings.ledgerScanMs);
  let read = 0;
  try {
    for await (const r of readLedger(deps.ledgerDir, { signal })) {
      if (r.requestId === requestId) found.push(r);
      if (++read >= deps.settings.ledgerScanRecords) break;
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
  return found;
}

/** The function's log lines that name the request id, from around its attempts. */
function logLinesOf(deps: DashboardRouteDeps, requestId: string, records: LedgerRecord[]): Array<{ t: number; line: string }> {
  const fn = records[0]!.functionName;
  const since = Math.min(...records.map((r) => r.receivedAt)) - 1_000;
  const until = Math.max(...records.map((r) => r.respondedAt)) + 10_000;
  const out: Array<{ t: number; line: string }> = [];
  let afterId = 0;
  try {
    for (let page = 0; page < MAX_LOG_SCAN_PAGES; page++) {
      const lines = deps.logs.read(fn, { since, afterId, limit: 10_000 });
      for (const l of lines) if (l.message.includes(requestId)) out.push({ t: l.timestamp, line: l.message });
      if (lines.length < 10_000 || lines[lines.length - 1]!.timestamp > until) break;
      afterId = lines[lines.length - 1]!.id;
    }
  } catch {
    // No log store (stopping): the REPORT line comes from the ledger record.
  }
  return out;
}
