import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidParameter, resourceNotFound, unknownOperation } from '../errors.js';
import { functionArn, parseFunctionRef } from '../registry/function-name.js';
import type { Registry } from '../registry/registry.js';
import { parseAddPermission, policyDocument, statementFor, withStatement, withoutStatement } from '../registry/resource-policy.js';
import { readJsonObject } from './body.js';
import { sendEmpty, sendJson } from './respond.js';

/** `/2015-03-31/functions/{name}/policy` and `/policy/{StatementId}`. */
export const POLICY_PATH = /^\/2015-03-31\/functions\/([^/]+)\/policy(?:\/([^/]+))?\/?$/;

/**
 * AddPermission (`POST .../policy`, 201 `{Statement}`), GetPolicy (`GET .../policy`, `{Policy,
 * RevisionId}`) and RemovePermission (`DELETE .../policy/{sid}`, 204), each with `?Qualifier=` for
 * a version or alias (resource-policy.ts).
 */
export async function handlePolicy(
  deps: { registry: Registry; account: { region: string; accountId: string } },
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  rawName: string,
  rawSid: string | undefined,
  query: URLSearchParams,
  requestId: string,
): Promise<void> {
  const ref = parseFunctionRef(rawName, query.get('Qualifier') ?? undefined, deps.account);
  const qualifier = ref.qualifier ?? '$LATEST';
  if (method === 'POST' && rawSid === undefined) {
    if (ref.qualifier === '$LATEST') throw invalidParameter('We currently do not support adding policies for $LATEST.');
    const input = parseAddPermission(await readJsonObject(req, 64 * 1024, 'AddPermission'));
    const statement = statementFor(input, functionArn(deps.account, ref.name, ref.qualifier));
    deps.registry.changePolicy(ref.name, qualifier, (current, revision) => withStatement(current, statement, input.revisionId, revision));
    sendJson(res, 201, { Statement: JSON.stringify(statement) }, requestId);
    return;
  }
  if (method === 'GET' && rawSid === undefined) {
    deps.registry.get(ref.name, ref.qualifier);
    const policy = deps.registry.policy(ref.name, qualifier);
    if (!policy) throw resourceNotFound('The resource you requested does not exist.');
    sendJson(res, 200, { Policy: policyDocument(policy.statements), RevisionId: policy.revisionId }, requestId);
    return;
  }
  if (method === 'DELETE' && rawSid !== undefined) {
    const sid = decodeURIComponent(rawSid);
    const revisionId = query.get('RevisionId') ?? undefined;
    deps.registry.changePolicy(ref.name, qualifier, (current, revision) => withoutStatement(current, sid, revisionId, revision));
    sendEmpty(res, 204, requestId);
    return;
  }
  throw unknownOperation(method, req.url ?? '');
}
