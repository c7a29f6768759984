import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidParameter, unknownOperation } from '../errors.js';
import type { FaultWindows } from '../chaos/fault-windows.js';
import type { ZoneDegradations } from '../chaos/zone-degradations.js';
import { readJsonObject } from './body.js';
import { sendEmpty, sendJson } from './respond.js';

/** The front door's injected failure rate (brownout); 0 = off. */
export interface Brownout {
  failRate: number;
}

/** Paths of the chaos admin API. */
export const CHAOS_PATH = /^\/zonesim\/v1\/(faults(?:\/([A-Za-z0-9._:-]{1,128}))?|brownout|zones\/([A-Za-z0-9._-]{1,64})\/degrade|nodes\/([A-Za-z0-9._-]{1,128})\/degrade)$/;

function rate(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) throw invalidParameter(`${field} must be a number from 0 to 1`);
  return value;
}

/**
 * The admin API the scenario runner and the dashboard inject faults through (docs/api.md):
 * - `GET|POST /zonesim/v1/faults`, `DELETE /zonesim/v1/faults/{id}`: announce fault windows (the
 *   ledger tags records received during one with its id);
 * - `PUT|DELETE /zonesim/v1/brownout` `{ failRate }`: the front door fails that fraction of Lambda
 *   API calls with 500 `ServiceException`;
 * - `PUT|DELETE /zonesim/v1/zones/{zone}/degrade` `{ slowFactor, failRate }`: a gray failure;
 *   `PUT|DELETE /zonesim/v1/nodes/{nodeId}/degrade`: one node's.
 * Process faults (kill, pause) and network faults (partition, latency) are applied by the runner
 * to processes and link proxies it owns.
 */
export async function handleChaos(
  deps: { faults: FaultWindows; brownout: Brownout; degradations: ZoneDegradations },
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  match: RegExpExecArray,
  requestId: string,
): Promise<void> {
  const [, what, faultId, zone, nodeId] = match;
  if (what === 'faults' && method === 'GET') {
    sendJson(res, 200, { faults: deps.faults.list() }, requestId);
    return;
  }
  if (what === 'faults' && method === 'POST') {
    const body = await readJsonObject(req, 64 * 1024, 'OpenFault');
    const id = body['id'];
    if (typeof id !== 'string' || !/^[A-Za-z0-9._:-]{1,128}$/.test(id)) throw invalidParameter('id must be 1-128 letters, digits, . _ : -');
    const action = typeof body['action'] === 'string' ? body['action'].slice(0, 64) : 'unknown';
    const target = typeof body['target'] === 'string' ? body['target'].slice(0, 256) : '';
    sendJson(res, 201, deps.faults.open({ id, action, target }), requestId);
    return;
  }
  if (faultId !== undefined && method === 'DELETE') {
    sendJson(res, 200, deps.faults.close(faultId), requestId);
    return;
  }
  if (what === 'brownout' && method === 'PUT') {
    const body = await readJsonObject(req, 64 * 1024, 'Brownout');
    deps.brownout.failRate = rate(body['failRate'], 'failRate');
    sendJson(res, 200, { failRate: deps.brownout.failRate }, requestId);
    return;
  }
  if (what === 'brownout' && method === 'DELETE') {
    deps.brownout.failRate = 0;
    sendEmpty(res, 204, requestId);
    return;
  }
  const scope = zone !== undefined ? { zone } : nodeId !== undefined ? { nodeId } : undefined;
  if (scope && method === 'PUT') {
    const body = await readJsonObject(req, 64 * 1024, 'Degrade');
    const slowFactor = body['slowFactor'] ?? 1;
    if (typeof slowFactor !== 'number' || !Number.isFinite(slowFactor) || slowFactor < 1 || slowFactor > 1000) throw invalidParameter('slowFactor must be a number from 1 to 1000');
    const failRate = rate(body['failRate'] ?? 0, 'failRate');
    deps.degradations.set(scope, { slowFactor, failRate });
    sendJson(res, 200, { ...scope, slowFactor, failRate }, requestId);
    return;
  }
  if (scope && method === 'DELETE') {
    deps.degradations.heal(scope);
    sendEmpty(res, 204, requestId);
    return;
  }
  throw unknownOperation(method, req.url ?? '');
}
