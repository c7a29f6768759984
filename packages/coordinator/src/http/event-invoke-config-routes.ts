import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidParameter, resourceNotFound, unknownOperation } from '../errors.js';
import { parseEventInvokeConfig, toEventInvokeConfigResponse } from '../registry/event-invoke-config.js';
import { functionArn, parseFunctionRef } from '../registry/function-name.js';
import type { Registry } from '../registry/registry.js';
import { readJsonObject } from './body.js';
import { sendEmpty, sendJson } from './respond.js';

/** Path prefix of the FunctionEventInvokeConfig operations. */
export const EVENT_INVOKE_CONFIG_PREFIX = '/2019-09-25/functions/';

/**
 * Put (replace, PUT), Update (merge, POST), Get and Delete FunctionEventInvokeConfig:
 * `/2019-09-25/functions/{FunctionName}/event-invoke-config` (lambda-facts 2.7).
 */
export async function handleEventInvokeConfig(
  deps: { registry: Registry; account: { region: string; accountId: string }; now: () => number },
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  rawName: string,
  query: URLSearchParams,
  requestId: string,
): Promise<void> {
  const ref = parseFunctionRef(rawName, query.get('Qualifier') ?? undefined, deps.account);
  if (ref.qualifier !== undefined && ref.qualifier !== '$LATEST') deps.registry.get(ref.name, ref.qualifier);
  const record = deps.registry.get(ref.name);
  const arn = functionArn(deps.account, ref.name, '$LATEST');
  if (method === 'GET') {
    if (!record.eventInvokeConfig) throw resourceNotFound(`The function ${arn} doesn't have an EventInvokeConfig`);
    sendJson(res, 200, toEventInvokeConfigResponse(arn, record.eventInvokeConfig), requestId);
    return;
  }
  if (method === 'DELETE') {
    if (!record.eventInvokeConfig) throw resourceNotFound(`The function ${arn} doesn't have an EventInvokeConfig`);
    deps.registry.setEventInvokeConfig(ref.name, undefined);
    sendEmpty(res, 204, requestId);
    return;
  }
  if (method === 'PUT' || method === 'POST') {
    const json = await readJsonObject(req, 256 * 1024, 'PutFunctionEventInvokeConfig');
    if (method === 'POST' && !record.eventInvokeConfig) {
      throw resourceNotFound(`The function ${arn} doesn't have an EventInvokeConfig`);
    }
    const config = parseEventInvokeConfig(json, method === 'POST' ? record.eventInvokeConfig : undefined, deps.now());
    if (config.onSuccess === arn || config.onFailure === arn) {
      throw invalidParameter('A function cannot be its own destination.');
    }
    deps.registry.setEventInvokeConfig(ref.name, config);
    sendJson(res, 200, toEventInvokeConfigResponse(arn, config), requestId);
    return;
  }
  throw unknownOperation(method, req.url ?? '');
}

/**
 * ListFunctionEventInvokeConfigs (`GET /2019-09-25/functions/{FunctionName}/event-invoke-config/list`).
 * zonesim keeps one configuration per function (see docs/api.md), so the list has at most one entry.
 */
export function handleListEventInvokeConfigs(
  deps: { registry: Registry; account: { region: string; accountId: string } },
  res: ServerResponse,
  rawName: string,
  requestId: string,
): void {
  const ref = parseFunctionRef(rawName, undefined, deps.account);
  const record = deps.registry.get(ref.name);
  const arn = functionArn(deps.account, ref.name, '$LATEST');
  const configs = record.eventInvokeConfig ? [toEventInvokeConfigResponse(arn, record.eventInvokeConfig)] : [];
  sendJson(res, 200, { FunctionEventInvokeConfigs: configs }, requestId);
}
