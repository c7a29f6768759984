import type { ServerResponse } from 'node:http';
import { resourceNotFound, validationError } from '../errors.js';
import type { LogStore } from '../logs/log-store.js';
import type { Registry } from '../registry/registry.js';
import { sendJson } from './respond.js';

/** `/zonesim/v1/functions/{name}/logs` and `/zonesim/v1/functions/{name}/log-streams`. */
export const LOG_PATH = /^\/zonesim\/v1\/functions\/([a-zA-Z0-9-_]{1,64})\/(logs|log-streams)$/;

function intParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw validationError(name, raw, 'Member must be a non-negative integer');
  return n;
}

/**
 * A function's logs (group `/aws/lambda/<name>`): its lines after a cursor (`after`, the `nextToken`
 * of the previous page; `zonesim logs --follow` polls with it), or its log streams. Logs outlive
 * their function, as on Lambda; a name with neither a function nor logs is not found.
 */
export function handleLogs(
  deps: { logs: LogStore; registry: Registry; account: { region: string; accountId: string } },
  res: ServerResponse,
  name: string,
  what: string,
  query: URLSearchParams,
  requestId: string,
): void {
  const exists = deps.registry.list().some((f) => f.name === name);
  if (what === 'log-streams') {
    const logStreams = deps.logs.streams(name);
    if (!exists && logStreams.length === 0) throw resourceNotFound(`Function not found: ${name}`);
    sendJson(res, 200, { logGroupName: `/aws/lambda/${name}`, logStreams }, requestId);
    return;
  }
  const tail = query.get('tail') === 'true';
  const after = intParam(query, 'after');
  const limit = intParam(query, 'limit');
  const since = intParam(query, 'since');
  const stream = query.get('stream') ?? undefined;
  // `tail=true` without a cursor starts at the newest line: follow from now.
  const start = after ?? (tail ? deps.logs.lastId(name) : 0);
  const events = deps.logs.read(name, {
    afterId: start,
    ...(limit === undefined ? {} : { limit }),
    ...(since === undefined ? {} : { since }),
    ...(stream === undefined ? {} : { stream }),
  });
  if (!exists && events.length === 0 && start === 0) throw resourceNotFound(`Function not found: ${name}`);
  const last = events.at(-1);
  sendJson(res, 200, { logGroupName: `/aws/lambda/${name}`, events, nextToken: last ? last.id : start }, requestId);
}
