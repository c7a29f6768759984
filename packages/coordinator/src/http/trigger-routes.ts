import { invalidParameter } from '../errors.js';
import type { QueueService } from '../queues/queue-service.js';
import { parseFunctionRef } from '../registry/function-name.js';
import { checkUrlQualifier } from '../triggers/function-url-config.js';
import type { Triggers } from '../triggers/triggers.js';
import { readJsonObject } from './body.js';
import { row, type RouteRow } from './route-table.js';
import { sendEmpty, sendJson } from './respond.js';

/** What the trigger routes need. */
export interface TriggerRouteDeps {
  triggers: Triggers;
  queues: QueueService;
  account: { region: string; accountId: string };
}

const CONTROL_BODY_BYTES = 256 * 1024;

/**
 * The control rows of issue 7's triggers: event source mappings
 * (`/2015-03-31/event-source-mappings[/{UUID}]`) and function URL configs
 * (`/2021-10-31/functions/{name}/url[s]`), both Lambda API (signed, subject to brownout), and
 * schedules (`/zonesim/v1/schedules[/{name}]`) and the queue admin views (`/zonesim/v1/queues`,
 * `/zonesim/v1/queue-messages`, `/zonesim/v1/triggers`), both admin API (signed). Requests to
 * function URLs themselves are routed by api-routes.ts.
 */
export function triggerRoutes(d: TriggerRouteDeps): RouteRow[] {
  const { mappings, urls, schedules } = d.triggers;
  const api = (methods: string | readonly string[] | '*', path: RegExp, handle: RouteRow['handle']): RouteRow => row(methods, path, 'signed', true, handle);
  const admin = (methods: string | readonly string[] | '*', path: RegExp, handle: RouteRow['handle']): RouteRow => row(methods, path, 'signed', false, handle);
  return [
    api('POST', /^\/2015-03-31\/event-source-mappings\/?$/, async (c) =>
      sendJson(c.res, 202, mappings.create(await readJsonObject(c.req, CONTROL_BODY_BYTES, 'CreateEventSourceMapping')), c.requestId)),
    api('GET', /^\/2015-03-31\/event-source-mappings\/?$/, (c) => sendJson(c.res, 200, mappings.list(c.target.query), c.requestId)),
    api('GET', /^\/2015-03-31\/event-source-mappings\/(.+?)\/?$/, (c) => sendJson(c.res, 200, mappings.get(decodeURIComponent(c.params[0]!)), c.requestId)),
    api('PUT', /^\/2015-03-31\/event-source-mappings\/(.+?)\/?$/, async (c) =>
      sendJson(c.res, 202, mappings.update(decodeURIComponent(c.params[0]!), await readJsonObject(c.req, CONTROL_BODY_BYTES, 'UpdateEventSourceMapping')), c.requestId)),
    api('DELETE', /^\/2015-03-31\/event-source-mappings\/(.+?)\/?$/, (c) => sendJson(c.res, 202, mappings.delete(decodeURIComponent(c.params[0]!)), c.requestId)),
    api('GET', /^\/2021-10-31\/functions\/([^/]+)\/urls\/?$/, (c) => {
      const ref = parseFunctionRef(decodeURIComponent(c.params[0]!), undefined, d.account);
      sendJson(c.res, 200, urls.list(ref.name, c.target.query), c.requestId);
    }),
    api(['POST', 'GET', 'PUT', 'DELETE'], /^\/2021-10-31\/functions\/([^/]+)\/url\/?$/, async (c) => {
      const ref = parseFunctionRef(decodeURIComponent(c.params[0]!), undefined, d.account);
      const qualifier = checkUrlQualifier(c.target.query.get('Qualifier') ?? ref.qualifier ?? null);
      if (c.method === 'POST') return sendJson(c.res, 201, urls.create(ref.name, qualifier, await readJsonObject(c.req, CONTROL_BODY_BYTES, 'CreateFunctionUrlConfig')), c.requestId);
      if (c.method === 'GET') return sendJson(c.res, 200, urls.get(ref.name, qualifier), c.requestId);
      if (c.method === 'PUT') return sendJson(c.res, 200, urls.update(ref.name, qualifier, await readJsonObject(c.req, CONTROL_BODY_BYTES, 'UpdateFunctionUrlConfig')), c.requestId);
      urls.delete(ref.name, qualifier);
      return sendEmpty(c.res, 204, c.requestId);
    }),
    admin('GET', /^\/zonesim\/v1\/schedules\/?$/, (c) => sendJson(c.res, 200, schedules.list(), c.requestId)),
    admin('PUT', /^\/zonesim\/v1\/schedules\/([^/]+)\/?$/, async (c) =>
      sendJson(c.res, 200, schedules.put(decodeURIComponent(c.params[0]!), await readJsonObject(c.req, CONTROL_BODY_BYTES, 'PutSchedule')), c.requestId)),
    admin('GET', /^\/zonesim\/v1\/schedules\/([^/]+)\/?$/, (c) => sendJson(c.res, 200, schedules.get(decodeURIComponent(c.params[0]!)), c.requestId)),
    admin('DELETE', /^\/zonesim\/v1\/schedules\/([^/]+)\/?$/, (c) => {
      schedules.delete(decodeURIComponent(c.params[0]!));
      sendEmpty(c.res, 204, c.requestId);
    }),
    admin('GET', /^\/zonesim\/v1\/queues$/, (c) =>
      sendJson(c.res, 200, {
        queues: d.queues.list().map((q) => ({ name: q.name, url: d.queues.queueUrl(q.name), arn: d.queues.queueArn(q.name), ...d.queues.counts(q), redrivePolicy: q.settings.RedrivePolicy })),
        stats: d.queues.stats(),
      }, c.requestId)),
    admin('GET', /^\/zonesim\/v1\/queue-messages$/, (c) => {
      const after = Number(c.target.query.get('after') ?? 0);
      const limit = Number(c.target.query.get('limit') ?? 1000);
      if (!Number.isInteger(after) || after < 0 || !Number.isInteger(limit) || limit < 1 || limit > 10_000) throw invalidParameter('after must be an integer >= 0 and limit 1-10000.');
      const messages = d.queues.records(after, limit);
      sendJson(c.res, 200, { messages, ...(messages.length === limit ? { next: messages.at(-1)!.seq } : {}) }, c.requestId);
    }),
    admin('GET', /^\/zonesim\/v1\/triggers$/, (c) =>
      sendJson(c.res, 200, { eventSourceMappings: mappings.stats(), schedules: (schedules.list() as { Schedules: unknown[] }).Schedules }, c.requestId)),
  ];
}
