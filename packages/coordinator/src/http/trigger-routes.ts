import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidParameter, unknownOperation } from '../errors.js';
import type { QueueService } from '../queues/queue-service.js';
import { parseFunctionRef } from '../registry/function-name.js';
import { checkUrlQualifier } from '../triggers/function-url-config.js';
import type { Triggers } from '../triggers/triggers.js';
import { readJsonObject } from './body.js';
import type { RequestTarget } from './request-target.js';
import { sendEmpty, sendJson } from './respond.js';

/** What the trigger routes need. */
export interface TriggerRouteDeps {
  triggers: Triggers;
  queues: QueueService;
  account: { region: string; accountId: string };
}

/** A matched route: answers the request (the one to read, after authentication). */
export type TriggerHandler = (req: IncomingMessage, res: ServerResponse, requestId: string) => Promise<void>;

const ESM = '/2015-03-31/event-source-mappings';
const URL_CONFIG = /^\/2021-10-31\/functions\/([^/]+)\/(url|urls)\/?$/;
const SCHEDULES = /^\/zonesim\/v1\/schedules(?:\/([^/]+))?\/?$/;
const CONTROL_BODY_BYTES = 256 * 1024;

/**
 * The control routes of issue 7's triggers, matched before the rest of the API: event source
 * mappings (`/2015-03-31/event-source-mappings[/{UUID}]`), function URL configs
 * (`/2021-10-31/functions/{name}/url[s]`), schedules (`/zonesim/v1/schedules[/{name}]`), and the
 * queue admin views (`/zonesim/v1/queues`, `/zonesim/v1/queue-messages`, `/zonesim/v1/triggers`).
 * Requests to function URLs themselves are routed by api-routes.ts.
 */
export function routeTriggers(d: TriggerRouteDeps, method: string, target: RequestTarget): TriggerHandler | undefined {
  const path = target.path;
  const url = { searchParams: target.query };

  if (path === ESM || path === `${ESM}/`) {
    if (method === 'POST') return async (req, res, id) => sendJson(res, 202, d.triggers.mappings.create(await readJsonObject(req, CONTROL_BODY_BYTES, 'CreateEventSourceMapping')), id);
    if (method === 'GET') return async (req, res, id) => sendJson(res, 200, d.triggers.mappings.list(url.searchParams), id);
    return undefined;
  }
  if (path.startsWith(`${ESM}/`)) {
    const uuid = decodeURIComponent(path.slice(ESM.length + 1).replace(/\/$/, ''));
    if (method === 'GET') return async (req, res, id) => sendJson(res, 200, d.triggers.mappings.get(uuid), id);
    if (method === 'PUT') return async (req, res, id) => sendJson(res, 202, d.triggers.mappings.update(uuid, await readJsonObject(req, CONTROL_BODY_BYTES, 'UpdateEventSourceMapping')), id);
    if (method === 'DELETE') return async (req, res, id) => sendJson(res, 202, d.triggers.mappings.delete(uuid), id);
    return undefined;
  }
  const urlConfig = URL_CONFIG.exec(path);
  if (urlConfig) {
    const urls = d.triggers.urls;
    return async (req, res, id) => {
      const ref = parseFunctionRef(decodeURIComponent(urlConfig[1]!), undefined, d.account);
      if (urlConfig[2] === 'urls') {
        if (method !== 'GET') throw unknownOperation(method, path);
        return sendJson(res, 200, urls.list(ref.name, url.searchParams), id);
      }
      const qualifier = checkUrlQualifier(url.searchParams.get('Qualifier') ?? ref.qualifier ?? null);
      if (method === 'POST') return sendJson(res, 201, urls.create(ref.name, qualifier, await readJsonObject(req, CONTROL_BODY_BYTES, 'CreateFunctionUrlConfig')), id);
      if (method === 'GET') return sendJson(res, 200, urls.get(ref.name, qualifier), id);
      if (method === 'PUT') return sendJson(res, 200, urls.update(ref.name, qualifier, await readJsonObject(req, CONTROL_BODY_BYTES, 'UpdateFunctionUrlConfig')), id);
      if (method === 'DELETE') {
        urls.delete(ref.name, qualifier);
        return sendEmpty(res, 204, id);
      }
      throw unknownOperation(method, path);
    };
  }
  const schedule = SCHEDULES.exec(path);
  if (schedule) {
    const s = d.triggers.schedules;
    const name = schedule[1] === undefined ? undefined : decodeURIComponent(schedule[1]);
    return async (req, res, id) => {
      if (name === undefined) {
        if (method === 'GET') return sendJson(res, 200, s.list(), id);
        throw unknownOperation(method, path);
      }
      if (method === 'PUT') return sendJson(res, 200, s.put(name, await readJsonObject(req, CONTROL_BODY_BYTES, 'PutSchedule')), id);
      if (method === 'GET') return sendJson(res, 200, s.get(name), id);
      if (method === 'DELETE') {
        s.delete(name);
        return sendEmpty(res, 204, id);
      }
      throw unknownOperation(method, path);
    };
  }
  if (method === 'GET' && path === '/zonesim/v1/queues') {
    return async (req, res, id) =>
      sendJson(res, 200, {
        queues: d.queues.list().map((q) => ({ name: q.name, url: d.queues.queueUrl(q.name), arn: d.queues.queueArn(q.name), ...d.queues.counts(q), redrivePolicy: q.settings.RedrivePolicy })),
        stats: d.queues.stats(),
      }, id);
  }
  if (method === 'GET' && path === '/zonesim/v1/queue-messages') {
    return async (req, res, id) => {
      const after = Number(url.searchParams.get('after') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 1000);
      if (!Number.isInteger(after) || after < 0 || !Number.isInteger(limit) || limit < 1 || limit > 10_000) throw invalidParameter('after must be an integer >= 0 and limit 1-10000.');
      const messages = d.queues.records(after, limit);
      sendJson(res, 200, { messages, ...(messages.length === limit ? { next: messages.at(-1)!.seq } : {}) }, id);
    };
  }
  if (method === 'GET' && path === '/zonesim/v1/triggers') {
    return async (req, res, id) => sendJson(res, 200, { eventSourceMappings: d.triggers.mappings.stats(), schedules: (d.triggers.schedules.list() as { Schedules: unknown[] }).Schedules }, id);
  }
  return undefined;
}
