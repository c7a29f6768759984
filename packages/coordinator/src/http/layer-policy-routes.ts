import type { IncomingMessage, ServerResponse } from 'node:http';
import { resourceNotFound, unknownOperation, validationError } from '../errors.js';
import type { LayerCatalog } from '../layers/layer-catalog.js';
import { layerStatementFor, parseAddLayerPermission, policyDocument, withStatement, withoutStatement } from '../registry/resource-policy.js';
import { readJsonObject } from './body.js';
import { sendEmpty, sendJson } from './respond.js';

/** `/2018-10-31/layers/{name}/versions/{number}/policy` and `/policy/{StatementId}`. */
export const LAYER_POLICY_PATH = /^\/2018-10-31\/layers\/([^/]+)\/versions\/([^/]+)\/policy(?:\/([^/]+))?\/?$/;

/**
 * AddLayerVersionPermission (`POST .../policy?RevisionId=`, 201 `{Statement, RevisionId}`),
 * GetLayerVersionPolicy (`GET .../policy`, `{Policy, RevisionId}`) and
 * RemoveLayerVersionPermission (`DELETE .../policy/{sid}?RevisionId=`, 204): a layer version's
 * resource policy, stored with the version and deleted with it. Stored and returned, not
 * evaluated: one account uses the region (docs/api.md, Resource policies).
 */
export async function handleLayerPolicy(
  deps: { layers: LayerCatalog },
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  rawName: string,
  rawVersion: string,
  rawSid: string | undefined,
  query: URLSearchParams,
  requestId: string,
): Promise<void> {
  const name = decodeURIComponent(rawName);
  const version = Number(rawVersion);
  if (!/^\d+$/.test(rawVersion) || !Number.isSafeInteger(version)) throw validationError('versionNumber', rawVersion, 'Member must be a number');
  const revisionId = query.get('RevisionId') ?? undefined;
  if (method === 'POST' && rawSid === undefined) {
    const layers = deps.layers;
    const input = parseAddLayerPermission(await readJsonObject(req, 64 * 1024, 'AddLayerVersionPermission'));
    const statement = layerStatementFor(input, layers.versionArn(layers.get(name, version)));
    const policy = layers.changePolicy(name, version, (current, revision) => withStatement(current, statement, revisionId, revision));
    sendJson(res, 201, { Statement: JSON.stringify(statement), RevisionId: policy!.revisionId }, requestId);
    return;
  }
  if (method === 'GET' && rawSid === undefined) {
    const policy = deps.layers.get(name, version).policy;
    if (!policy) throw resourceNotFound('No policy is associated with the given resource.');
    sendJson(res, 200, { Policy: policyDocument(policy.statements), RevisionId: policy.revisionId }, requestId);
    return;
  }
  if (method === 'DELETE' && rawSid !== undefined) {
    const sid = decodeURIComponent(rawSid);
    deps.layers.changePolicy(name, version, (current, revision) => withoutStatement(current, sid, revisionId, revision));
    sendEmpty(res, 204, requestId);
    return;
  }
  throw unknownOperation(method, req.url ?? '');
}
