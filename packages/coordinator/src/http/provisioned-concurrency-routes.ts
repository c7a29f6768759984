import type { IncomingMessage, ServerResponse } from 'node:http';
import { unknownOperation, validationError } from '../errors.js';
import { ProvisionedConcurrency, toProvisionedConfigResponse } from '../provisioned/provisioned-concurrency.js';
import { functionArn, parseFunctionRef } from '../registry/function-name.js';
import { readJsonObject } from './body.js';
import { sendEmpty, sendJson } from './respond.js';

/** Path of the provisioned-concurrency operations: `/2019-09-30/functions/{name}/provisioned-concurrency`. */
export const PROVISIONED_CONCURRENCY_PATH = /^\/2019-09-30\/functions\/([^/]+)\/provisioned-concurrency\/?$/;

/**
 * Put (202), Get, Delete (204) and List (`?List=ALL`) ProvisionedConcurrencyConfig
 * (lambda-facts 2, 2.5).
 */
export async function handleProvisionedConcurrency(
  deps: { provisioned: ProvisionedConcurrency; account: { region: string; accountId: string } },
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  rawName: string,
  query: URLSearchParams,
  requestId: string,
): Promise<void> {
  const ref = parseFunctionRef(rawName, query.get('Qualifier') ?? undefined, deps.account);
  if (method === 'GET' && query.get('List') === 'ALL') {
    const configs = deps.provisioned.list(ref.name).map((v) => ({
      FunctionArn: functionArn(deps.account, v.functionName, v.qualifier),
      ...toProvisionedConfigResponse(v),
    }));
    sendJson(res, 200, { ProvisionedConcurrencyConfigs: configs }, requestId);
    return;
  }
  if (method === 'GET') {
    sendJson(res, 200, toProvisionedConfigResponse(deps.provisioned.get(ref.name, ref.qualifier)), requestId);
    return;
  }
  if (method === 'DELETE') {
    deps.provisioned.delete(ref.name, ref.qualifier);
    sendEmpty(res, 204, requestId);
    return;
  }
  if (method === 'PUT') {
    const value = (await readJsonObject(req, 64 * 1024, 'PutProvisionedConcurrencyConfig'))['ProvisionedConcurrentExecutions'];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw validationError('provisionedConcurrentExecutions', value ?? null, 'Member must have value greater than or equal to 1');
    }
    sendJson(res, 202, toProvisionedConfigResponse(deps.provisioned.put(ref.name, ref.qualifier, value)), requestId);
    return;
  }
  throw unknownOperation(method, req.url ?? '');
}
