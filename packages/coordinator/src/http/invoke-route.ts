import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_LOG_TAIL_BYTES, MAX_SYNC_PAYLOAD_BYTES, type InvokeResult } from '@zonesim/protocol';
import type { Clock, Logger } from '@zonesim/common';
import { invalidParameter, invalidRequestContent, resourceConflict, validationError } from '../errors.js';
import type { Registry } from '../registry/registry.js';
import { functionArn, parseFunctionRef } from '../registry/function-name.js';
import type { RouteTrace, Router } from '../router/router.js';
import type { InvocationLedger } from '../ledger/invocation-ledger.js';
import { attemptRecord } from '../ledger/attempt-record.js';
import { asyncSettingsOf, type AsyncInvocations } from '../async-invocations.js';
import type { ConcurrencyLimits } from '../concurrency/concurrency-limits.js';
import { readBody } from './body.js';
import { sendEmpty } from './respond.js';

/** Lambda's async request limit since Oct 2025 (lambda-facts 1.5). */
export const MAX_ASYNC_PAYLOAD_BYTES = 1024 * 1024;
/** Lambda's cap on the base64 `X-Amz-Client-Context` header. */
export const MAX_CLIENT_CONTEXT_BYTES = 3583;

const EMPTY_EVENT = Buffer.from('{}');

/** What the invoke route needs from the coordinator. */
export interface InvokeRouteDeps {
  registry: Registry;
  router: Router;
  asyncInvocations: AsyncInvocations;
  concurrency: ConcurrencyLimits;
  account: { region: string; accountId: string };
  ledger: InvocationLedger;
  clock: Clock;
  log: Logger;
}

/**
 * `POST /2015-03-31/functions/{FunctionName}/invocations`: Lambda's Invoke. 200 for
 * RequestResponse (even when the function failed: that is `X-Amz-Function-Error`), 202 for Event,
 * 204 for DryRun (lambda-facts 1.2).
 */
export async function handleInvoke(
  deps: InvokeRouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
  rawName: string,
  query: URLSearchParams,
  requestId: string,
): Promise<void> {
  const receivedAt = deps.clock.now();
  const invocationType = headerOf(req, 'x-amz-invocation-type') ?? 'RequestResponse';
  if (invocationType !== 'RequestResponse' && invocationType !== 'Event' && invocationType !== 'DryRun') {
    throw invalidParameter(`Unsupported invocation type: ${invocationType}. Use RequestResponse, Event or DryRun.`);
  }
  const logType = headerOf(req, 'x-amz-log-type');
  if (logType !== undefined && logType !== 'None' && logType !== 'Tail') {
    throw validationError('logType', logType.slice(0, 100), 'Member must satisfy enum value set: [Tail, None]');
  }
  const ref = parseFunctionRef(rawName, query.get('Qualifier') ?? undefined, deps.account);
  const limit = invocationType === 'Event' ? MAX_ASYNC_PAYLOAD_BYTES : MAX_SYNC_PAYLOAD_BYTES;
  const body = await readBody(req, limit, 'Invoke');
  const record = deps.registry.get(ref.name);
  // One resolution per request: a missing version or alias is a 404 here, and an alias routes the
  // request by its weights (lambda-facts 2.4).
  const view = deps.registry.resolve(ref.name, ref.qualifier, { pick: true });
  if (record.state !== 'Active') {
    throw resourceConflict(`The operation cannot be performed at this time. The function is currently in the following state: ${record.state}`);
  }
  const payload = body.length === 0 ? EMPTY_EVENT : body;
  checkJson(payload);
  const clientContext = decodeClientContext(headerOf(req, 'x-amz-client-context'));
  const spec = deps.registry.spec(view);
  const executed = { 'x-amz-executed-version': spec.version };
  if (invocationType === 'DryRun') {
    sendEmpty(res, 204, requestId, executed);
    return;
  }
  const trace: RouteTrace = {};
  const route = {
    trace,
    requestId,
    spec,
    payload,
    invokedFunctionArn: functionArn(deps.account, ref.name, ref.qualifier),
    logTail: invocationType === 'RequestResponse' && logType === 'Tail',
    ...(clientContext === undefined || invocationType !== 'RequestResponse' ? {} : { clientContext }),
  };
  if (invocationType === 'Event') {
    // 202 only once the event is committed: an accepted event survives a coordinator crash and is
    // delivered at least once, or dead-lettered with a reason (docs/failover.md).
    await deps.asyncInvocations.accept({
      eventId: requestId,
      functionName: ref.name,
      qualifier: ref.qualifier ?? '$LATEST',
      payload: Buffer.from(payload),
      ...asyncSettingsOf(record.eventInvokeConfig),
    });
    sendEmpty(res, 202, requestId);
    return;
  }
  const facts = { requestId, attempt: 1, invocationType: 'RequestResponse' as const, view, qualifier: ref.qualifier, receivedAt, trace };
  // Lambda throttles a synchronous invoke at once with 429 and its Reason; the caller retries.
  let release: () => void;
  try {
    release = deps.concurrency.acquire(ref.name);
  } catch (err) {
    deps.ledger.record(attemptRecord({ ...facts, error: err, respondedAt: deps.clock.now() }), trace);
    throw err;
  }
  let result;
  try {
    result = await deps.router.route(route);
  } catch (err) {
    deps.ledger.record(attemptRecord({ ...facts, error: err, respondedAt: deps.clock.now() }), trace);
    throw err;
  } finally {
    release();
  }
  sendResult(res, result, requestId, executed);
  deps.ledger.record(attemptRecord({ ...facts, result, respondedAt: deps.clock.now() }), trace);
}

function sendResult(res: ServerResponse, result: InvokeResult, requestId: string, executed: Record<string, string>): void {
  const body = result.outcome === 'success'
    ? Buffer.from(result.payload ?? 'null')
    : Buffer.from(JSON.stringify(result.functionError ?? { errorType: 'Runtime.Unknown', errorMessage: 'unknown error' }));
  const t = result.timings;
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': body.length,
    'x-amzn-requestid': requestId,
    ...executed,
    // zonesim's own headers: where and how the invocation ran (documented in docs/architecture.md).
    'x-zonesim-zone': result.placement.zone,
    'x-zonesim-node': result.placement.nodeId,
    'x-zonesim-environment': result.placement.environmentId,
    'x-zonesim-cold': String(result.placement.cold),
    'x-zonesim-duration-ms': t.durationMs.toFixed(2),
    'x-zonesim-billed-ms': t.billedMs,
    'x-zonesim-max-memory-used-mb': t.maxMemoryUsedMb,
  };
  if (t.initMs !== undefined) headers['x-zonesim-init-ms'] = t.initMs.toFixed(2);
  if (result.outcome === 'function-error') headers['x-amz-function-error'] = 'Unhandled';
  if (result.logTail !== undefined) headers['x-amz-log-result'] = lastBytes(result.logTail, MAX_LOG_TAIL_BYTES).toString('base64');
  res.writeHead(200, headers);
  res.end(body);
}

function checkJson(payload: Buffer): void {
  try {
    JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw invalidRequestContent(`Could not parse request body into json: Could not parse payload into json: ${(err as Error).message}`);
  }
}

function decodeClientContext(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  if (header.length > MAX_CLIENT_CONTEXT_BYTES) {
    throw invalidParameter(`Client context must be at most ${MAX_CLIENT_CONTEXT_BYTES} bytes, base64-encoded.`);
  }
  const text = Buffer.from(header, 'base64').toString('utf8');
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) throw new Error('not an object');
  } catch {
    throw invalidParameter('Client context must be a valid Base64-encoded JSON object.');
  }
  return text;
}

function lastBytes(text: string, max: number): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= max ? bytes : bytes.subarray(bytes.length - max);
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

