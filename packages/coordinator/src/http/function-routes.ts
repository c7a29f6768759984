import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidParameter } from '../errors.js';
import { parseConfigurationPatch } from '../registry/create-function-input.js';
import { parseFunctionRef } from '../registry/function-name.js';
import { toFunctionConfiguration } from '../registry/function-record.js';
import type { Registry } from '../registry/registry.js';
import { readJsonObject, receiveBody } from './body.js';
import { sendEmpty, sendJson } from './respond.js';

/** What the function routes need. */
export interface FunctionRouteDeps {
  registry: Registry;
  account: { region: string; accountId: string };
  maxZipBytes: number;
  /** Base URL for `Code.Location` links. */
  apiUrl: () => string;
}

/** ListFunctions returns at most 50 per page whatever MaxItems says (lambda-facts 2). */
const LIST_PAGE_MAX = 50;

/**
 * `POST /2015-03-31/functions`: CreateFunction -> 201 FunctionConfiguration. The body (up to ~67 MB)
 * is only received here; parsing, validation and base64 decoding run in an upload worker, and so do
 * the package's inspection and storage (issue 15, finding 4).
 */
export async function handleCreateFunction(deps: FunctionRouteDeps, req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
  // The zip travels base64 inside JSON: 4/3 of the zip limit plus room for the other fields.
  const limit = Math.ceil((deps.maxZipBytes * 4) / 3) + 256 * 1024;
  const { bytes } = await receiveBody(req, limit, 'CreateFunction');
  const input = await deps.registry.jobs.parseCreateFunction(bytes, deps.maxZipBytes);
  const record = await deps.registry.create(input);
  sendJson(res, 201, toFunctionConfiguration(record), requestId);
}

/** `GET /2015-03-31/functions/{name}`: GetFunction. */
export function handleGetFunction(deps: FunctionRouteDeps, res: ServerResponse, rawName: string, query: URLSearchParams, requestId: string): void {
  const ref = parseFunctionRef(rawName, query.get('Qualifier') ?? undefined, deps.account);
  const record = deps.registry.get(ref.name);
  sendJson(res, 200, {
    Configuration: toFunctionConfiguration(deps.registry.resolve(ref.name, ref.qualifier)),
    Code: record.image
      ? { RepositoryType: 'ECR', ImageUri: record.image.uri, ResolvedImageUri: `${record.image.uri.split('#')[0]}@${record.image.digest}` }
      : { RepositoryType: 'S3', Location: `${deps.apiUrl()}/zonesim/v1/functions/${record.name}/code.zip` },
    Tags: record.tags,
    ...(record.reservedConcurrency === undefined ? {} : { Concurrency: { ReservedConcurrentExecutions: record.reservedConcurrency } }),
  }, requestId);
}

/** `GET /2015-03-31/functions/{name}/configuration`: GetFunctionConfiguration. */
export function handleGetConfiguration(deps: FunctionRouteDeps, res: ServerResponse, rawName: string, query: URLSearchParams, requestId: string): void {
  const ref = parseFunctionRef(rawName, query.get('Qualifier') ?? undefined, deps.account);
  sendJson(res, 200, toFunctionConfiguration(deps.registry.resolve(ref.name, ref.qualifier)), requestId);
}

/** `GET /2015-03-31/functions`: ListFunctions with `Marker` / `MaxItems` paging. */
export function handleListFunctions(deps: FunctionRouteDeps, res: ServerResponse, query: URLSearchParams, requestId: string): void {
  const maxRaw = query.get('MaxItems');
  const max = maxRaw === null ? LIST_PAGE_MAX : Number(maxRaw);
  if (!Number.isInteger(max) || max < 1 || max > 10000) throw invalidParameter('MaxItems must be an integer between 1 and 10000.');
  const all = deps.registry.list();
  const marker = query.get('Marker');
  let start = 0;
  if (marker) {
    start = Number(Buffer.from(marker, 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw invalidParameter('Marker is not valid.');
  }
  const pageSize = Math.min(max, LIST_PAGE_MAX);
  const page = all.slice(start, start + pageSize);
  const next = start + pageSize < all.length ? Buffer.from(String(start + pageSize)).toString('base64url') : undefined;
  sendJson(res, 200, { Functions: page.map(toFunctionConfiguration), ...(next ? { NextMarker: next } : {}) }, requestId);
}

/** `DELETE /2015-03-31/functions/{name}`: DeleteFunction -> 204. */
export async function handleDeleteFunction(deps: FunctionRouteDeps, res: ServerResponse, rawName: string, query: URLSearchParams, requestId: string): Promise<void> {
  const ref = parseFunctionRef(rawName, query.get('Qualifier') ?? undefined, deps.account);
  if (ref.qualifier === '$LATEST') throw invalidParameter('$LATEST version cannot be deleted without deleting the function.');
  if (ref.qualifier !== undefined && ref.qualifier !== '') {
    // With a qualifier only that version goes (Lambda: the qualifier must be a version number).
    if (!/^\d+$/.test(ref.qualifier)) throw invalidParameter('Deletion of aliases is not supported. Use DeleteAlias.');
    deps.registry.deleteVersion(ref.name, ref.qualifier);
  } else {
    // Without one, the function goes with all its versions and aliases.
    await deps.registry.delete(ref.name);
  }
  sendEmpty(res, 204, requestId);
}

/** `PUT /2015-03-31/functions/{name}/configuration`: UpdateFunctionConfiguration. */
export async function handleUpdateConfiguration(deps: FunctionRouteDeps, req: IncomingMessage, res: ServerResponse, rawName: string, requestId: string): Promise<void> {
  const ref = parseFunctionRef(rawName, undefined, deps.account);
  const body = await readJsonObject(req, 256 * 1024, 'UpdateFunctionConfiguration');
  const record = deps.registry.updateConfiguration(ref.name, parseConfigurationPatch(body));
  sendJson(res, 200, toFunctionConfiguration(record), requestId);
}

/** `PUT /2015-03-31/functions/{name}/code`: UpdateFunctionCode (`ZipFile` or `ImageUri`; `Publish` publishes a version). */
export async function handleUpdateCode(deps: FunctionRouteDeps, req: IncomingMessage, res: ServerResponse, rawName: string, requestId: string): Promise<void> {
  const ref = parseFunctionRef(rawName, undefined, deps.account);
  const limit = Math.ceil((deps.maxZipBytes * 4) / 3) + 64 * 1024;
  const { bytes } = await receiveBody(req, limit, 'UpdateFunctionCode');
  // Parsed and decoded in an upload worker, like CreateFunction's body.
  const input = await deps.registry.jobs.parseUpdateCode(bytes);
  const record = 'imageUri' in input
    ? await deps.registry.updateImage(ref.name, input.imageUri, input.revisionId)
    : await deps.registry.updateCode(ref.name, input.zipFile, input.revisionId);
  const shown = input.publish ? deps.registry.publishVersion(ref.name, {}) : record;
  sendJson(res, 200, toFunctionConfiguration(shown), requestId);
}
