import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConcurrencyLimits } from '../concurrency/concurrency-limits.js';
import { unknownOperation, validationError } from '../errors.js';
import { parseFunctionRef } from '../registry/function-name.js';
import type { Registry } from '../registry/registry.js';
import { readJsonObject } from './body.js';
import { sendEmpty, sendJson } from './respond.js';

/** What the concurrency routes need. */
export interface ConcurrencyRouteDeps {
  registry: Registry;
  concurrency: ConcurrencyLimits;
  account: { region: string; accountId: string };
  maxZipBytes: number;
  maxUnzippedBytes: number;
}

/**
 * PutFunctionConcurrency (`PUT /2017-10-31/functions/{name}/concurrency`), DeleteFunctionConcurrency
 * (`DELETE` on the same path) and GetFunctionConcurrency (`GET /2019-09-30/functions/{name}/concurrency`).
 */
export async function handleFunctionConcurrency(
  deps: ConcurrencyRouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  rawName: string,
  requestId: string,
): Promise<void> {
  const name = parseFunctionRef(rawName, undefined, deps.account).name;
  deps.registry.get(name);
  if (method === 'GET') {
    const reserved = deps.concurrency.reserved(name);
    sendJson(res, 200, reserved === undefined ? {} : { ReservedConcurrentExecutions: reserved }, requestId);
    return;
  }
  if (method === 'DELETE') {
    deps.concurrency.setReserved(name, undefined);
    deps.registry.setReservedConcurrency(name, undefined);
    sendEmpty(res, 204, requestId);
    return;
  }
  if (method === 'PUT') {
    const value = (await readJsonObject(req, 64 * 1024, 'PutFunctionConcurrency'))['ReservedConcurrentExecutions'];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw validationError('reservedConcurrentExecutions', value ?? null, 'Member must have value greater than or equal to 0');
    }
    deps.concurrency.setReserved(name, value);
    deps.registry.setReservedConcurrency(name, value);
    sendJson(res, 200, { ReservedConcurrentExecutions: value }, requestId);
    return;
  }
  throw unknownOperation(method, req.url ?? '');
}

/** GetAccountSettings (`GET /2016-08-19/account-settings`). */
export function handleAccountSettings(deps: ConcurrencyRouteDeps, res: ServerResponse, requestId: string): void {
  const functions = deps.registry.list();
  const codeShas = new Map<string, number>();
  for (const f of functions) for (const v of [f, ...(f.versions ?? [])]) codeShas.set(v.codeSha256Hex, v.codeSize);
  sendJson(res, 200, {
    AccountLimit: {
      // Lambda's default 75 GB of code storage per region.
      TotalCodeSize: 80_530_636_800,
      CodeSizeUnzipped: deps.maxUnzippedBytes,
      CodeSizeZipped: deps.maxZipBytes,
      ConcurrentExecutions: deps.concurrency.accountLimit,
      UnreservedConcurrentExecutions: deps.concurrency.unreservedLimit,
    },
    AccountUsage: {
      TotalCodeSize: [...codeShas.values()].reduce((a, b) => a + b, 0),
      FunctionCount: functions.length,
    },
  }, requestId);
}
