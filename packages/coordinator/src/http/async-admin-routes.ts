import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AsyncInvocations } from '../async-invocations.js';
import { invalidParameter, unknownOperation } from '../errors.js';
import { readJsonObject } from './body.js';
import { sendJson } from './respond.js';

/**
 * zonesim's admin API for asynchronous invocation:
 * - `GET /zonesim/v1/async`: queue stats and the dispatcher's counters;
 * - `GET /zonesim/v1/dead-letters?limit=&offset=&function=`: dead-lettered events with their reason
 *   and Lambda's destination record;
 * - `POST /zonesim/v1/dead-letters/redrive` with `{"ids": [...]}` or `{"all": true, "function"?: name}`:
 *   puts them back on the queue with fresh attempt counts.
 */
export async function handleAsyncAdmin(
  async: AsyncInvocations,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  path: string,
  query: URLSearchParams,
  requestId: string,
): Promise<void> {
  if (method === 'GET' && path === '/zonesim/v1/async') {
    sendJson(res, 200, { queue: async.store.stats(), dispatcher: async.dispatcher?.counters ?? null }, requestId);
    return;
  }
  if (method === 'GET' && path === '/zonesim/v1/async/pending') {
    const limit = Number(query.get('limit') ?? 1000);
    const offset = Number(query.get('offset') ?? 0);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw invalidParameter('limit must be an integer from 1 to 100000');
    if (!Number.isInteger(offset) || offset < 0) throw invalidParameter('offset must be a non-negative integer');
    sendJson(res, 200, { pending: async.store.listPending({ limit, offset }) }, requestId);
    return;
  }
  if (method === 'GET' && path === '/zonesim/v1/dead-letters') {
    const limit = Number(query.get('limit') ?? 100);
    const offset = Number(query.get('offset') ?? 0);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalidParameter('limit must be an integer from 1 to 1000');
    if (!Number.isInteger(offset) || offset < 0) throw invalidParameter('offset must be a non-negative integer');
    const fn = query.get('function') ?? undefined;
    const items = async.store.listDeadLetters({ limit, offset, ...(fn ? { functionName: fn } : {}) });
    sendJson(res, 200, {
      deadLetters: items.map((d) => ({ ...d, payload: Buffer.from(d.payload).toString('utf8') })),
    }, requestId);
    return;
  }
  if (method === 'POST' && path === '/zonesim/v1/dead-letters/redrive') {
    const input: { ids?: unknown; all?: unknown; function?: unknown } = await readJsonObject(req, 1024 * 1024, 'Redrive');
    let moved: string[];
    if (input.all === true) {
      moved = async.store.redrive('all', typeof input.function === 'string' ? { functionName: input.function } : {});
    } else if (Array.isArray(input.ids) && input.ids.every((i) => typeof i === 'string')) {
      moved = async.store.redrive(input.ids as string[]);
    } else {
      throw invalidParameter('Give "ids" (an array of event ids) or "all": true.');
    }
    async.wake();
    sendJson(res, 200, { redriven: moved }, requestId);
    return;
  }
  throw unknownOperation(method, path);
}
