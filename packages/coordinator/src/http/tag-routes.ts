import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidParameter, unknownOperation } from '../errors.js';
import { parseFunctionRef } from '../registry/function-name.js';
import type { Registry } from '../registry/registry.js';
import { readJsonObject } from './body.js';
import { sendEmpty, sendJson } from './respond.js';

/** Path prefix of TagResource / UntagResource / ListTags. */
export const TAGS_PREFIX = '/2017-03-31/tags/';

/** Lambda allows 50 tags per function. */
const MAX_TAGS = 50;

/**
 * `GET` (ListTags), `POST` (TagResource, body `{Tags}`) and `DELETE` (UntagResource,
 * `?tagKeys=a&tagKeys=b`) on `/2017-03-31/tags/{FunctionArn}`.
 */
export async function handleTags(
  deps: { registry: Registry; account: { region: string; accountId: string } },
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  rawArn: string,
  query: URLSearchParams,
  requestId: string,
): Promise<void> {
  const ref = parseFunctionRef(rawArn, undefined, deps.account);
  if (!rawArn.startsWith('arn:')) throw invalidParameter(`${rawArn} is not a valid ARN.`);
  if (ref.qualifier !== undefined) throw invalidParameter('Tags apply to the function, not to a version or alias: use an unqualified ARN.');
  const record = deps.registry.get(ref.name);
  if (method === 'GET') {
    sendJson(res, 200, { Tags: record.tags }, requestId);
    return;
  }
  if (method === 'POST') {
    const tags = (await readJsonObject(req, 64 * 1024, 'TagResource'))['Tags'];
    if (typeof tags !== 'object' || tags === null || Array.isArray(tags) || Object.values(tags).some((v) => typeof v !== 'string')) {
      throw invalidParameter('Tags must be a map of strings.');
    }
    const merged = { ...record.tags, ...(tags as Record<string, string>) };
    if (Object.keys(merged).length > MAX_TAGS) throw invalidParameter(`A function can have at most ${MAX_TAGS} tags.`);
    deps.registry.setTags(ref.name, merged);
    sendEmpty(res, 204, requestId);
    return;
  }
  if (method === 'DELETE') {
    const keys = query.getAll('tagKeys');
    const next = { ...record.tags };
    for (const k of keys) delete next[k];
    deps.registry.setTags(ref.name, next);
    sendEmpty(res, 204, requestId);
    return;
  }
  throw unknownOperation(method, req.url ?? '');
}
