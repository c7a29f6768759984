import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidParameter, resourceConflict, unknownOperation, validationError } from '../errors.js';
import { functionArn, parseFunctionRef } from '../registry/function-name.js';
import { toFunctionConfiguration, type AliasRecord } from '../registry/function-record.js';
import type { Registry } from '../registry/registry.js';
import { readJsonObject } from './body.js';
import { sendEmpty, sendJson } from './respond.js';

type Account = { region: string; accountId: string };

const ALIAS_NAME = /^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$/;
const PAGE = 50;

function page<T>(items: T[], query: URLSearchParams, key: string): Record<string, unknown> {
  const start = query.get('Marker') ? Number(Buffer.from(query.get('Marker')!, 'base64url').toString()) : 0;
  if (!Number.isInteger(start) || start < 0) throw invalidParameter('Marker is not valid.');
  const max = Math.min(Number(query.get('MaxItems') ?? PAGE), PAGE);
  if (!Number.isInteger(max) || max < 1) throw invalidParameter('MaxItems must be a positive integer.');
  const slice = items.slice(start, start + max);
  const next = start + max < items.length ? Buffer.from(String(start + max)).toString('base64url') : undefined;
  return { [key]: slice, ...(next ? { NextMarker: next } : {}) };
}

/** The weights map after Lambda's checks: at most one additional version, weight 0.0-1.0, published. */
function parseRouting(registry: Registry, name: string, primary: string, raw: unknown): Record<string, number> {
  if (raw === undefined || raw === null) return {};
  const weights = (raw as { AdditionalVersionWeights?: unknown }).AdditionalVersionWeights;
  if (weights === undefined || weights === null) return {};
  if (typeof weights !== 'object' || Array.isArray(weights)) throw invalidParameter('RoutingConfig.AdditionalVersionWeights must be a map.');
  const entries = Object.entries(weights as Record<string, unknown>);
  if (entries.length > 1) throw invalidParameter('Number of items in AdditionalVersionWeights cannot be greater than 1');
  const out: Record<string, number> = {};
  for (const [version, weight] of entries) {
    if (typeof weight !== 'number' || !(weight >= 0 && weight <= 1)) throw validationError('routingConfig.additionalVersionWeights', weight, 'Member must have value between 0.0 and 1.0');
    if (!/^\d+$/.test(version) || !registry.hasVersion(name, version)) throw invalidParameter(`Version ${version} does not exist, or is not a published version.`);
    if (version === primary) throw invalidParameter('The function version of the alias and the additional version in the routing config must differ.');
    out[version] = weight;
  }
  return out;
}

function aliasResponse(account: Account, name: string, a: AliasRecord): Record<string, unknown> {
  return {
    AliasArn: functionArn(account, name, a.name),
    Name: a.name,
    FunctionVersion: a.functionVersion,
    Description: a.description,
    ...(Object.keys(a.additionalVersionWeights).length > 0 ? { RoutingConfig: { AdditionalVersionWeights: a.additionalVersionWeights } } : {}),
    RevisionId: a.revisionId,
  };
}

/**
 * PublishVersion, ListVersionsByFunction and the alias operations:
 * `/2015-03-31/functions/{name}/versions` and `/2015-03-31/functions/{name}/aliases[/{alias}]`
 * (lambda-facts 2, 2.4).
 */
export async function handleVersionsAndAliases(
  deps: { registry: Registry; account: Account },
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  rawName: string,
  sub: string[],
  query: URLSearchParams,
  requestId: string,
): Promise<void> {
  const name = parseFunctionRef(rawName, undefined, deps.account).name;
  const registry = deps.registry;
  if (sub[0] === 'versions' && sub.length === 1) {
    if (method === 'POST') {
      const body = await readJsonObject(req, 256 * 1024, 'PublishVersion');
      const view = registry.publishVersion(name, {
        ...(typeof body['Description'] === 'string' ? { description: body['Description'] } : {}),
        ...(typeof body['CodeSha256'] === 'string' ? { codeSha256: body['CodeSha256'] } : {}),
        ...(typeof body['RevisionId'] === 'string' ? { revisionId: body['RevisionId'] } : {}),
      });
      sendJson(res, 201, toFunctionConfiguration(view), requestId);
      return;
    }
    if (method === 'GET') {
      sendJson(res, 200, page(registry.listVersions(name).map(toFunctionConfiguration), query, 'Versions'), requestId);
      return;
    }
  }
  if (sub[0] === 'aliases' && sub.length === 1) {
    if (method === 'POST') {
      const body = await readJsonObject(req, 256 * 1024, 'CreateAlias');
      const aliasName = body['Name'];
      if (typeof aliasName !== 'string' || aliasName.length > 128 || !ALIAS_NAME.test(aliasName)) {
        throw validationError('name', aliasName ?? null, 'Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)');
      }
      if (registry.get(name).aliases?.some((a) => a.name === aliasName)) {
        throw resourceConflict(`Alias already exists: ${functionArn(deps.account, name, aliasName)}`);
      }
      const version = body['FunctionVersion'];
      if (typeof version !== 'string' || !registry.hasVersion(name, version)) throw invalidParameter(`Function version ${String(version)} does not exist.`);
      const alias: AliasRecord = {
        name: aliasName,
        functionVersion: version,
        description: typeof body['Description'] === 'string' ? body['Description'] : '',
        additionalVersionWeights: parseRouting(registry, name, version, body['RoutingConfig']),
        revisionId: registry.entropy.uuid(),
      };
      registry.putAlias(name, alias);
      sendJson(res, 201, aliasResponse(deps.account, name, alias), requestId);
      return;
    }
    if (method === 'GET') {
      const aliases = (registry.get(name).aliases ?? []).filter((a) => !query.get('FunctionVersion') || a.functionVersion === query.get('FunctionVersion'));
      sendJson(res, 200, page(aliases.map((a) => aliasResponse(deps.account, name, a)), query, 'Aliases'), requestId);
      return;
    }
  }
  if (sub[0] === 'aliases' && sub.length === 2) {
    const aliasName = decodeURIComponent(sub[1]!);
    if (method === 'GET') {
      sendJson(res, 200, aliasResponse(deps.account, name, registry.getAlias(name, aliasName)), requestId);
      return;
    }
    if (method === 'DELETE') {
      registry.deleteAlias(name, aliasName);
      sendEmpty(res, 204, requestId);
      return;
    }
    if (method === 'PUT') {
      const current = registry.getAlias(name, aliasName);
      const body = await readJsonObject(req, 256 * 1024, 'UpdateAlias');
      if (typeof body['RevisionId'] === 'string' && body['RevisionId'] !== current.revisionId) {
        throw resourceConflict('The Revision Id provided does not match the latest Revision Id.');
      }
      const version = typeof body['FunctionVersion'] === 'string' ? body['FunctionVersion'] : current.functionVersion;
      if (!registry.hasVersion(name, version)) throw invalidParameter(`Function version ${version} does not exist.`);
      const alias: AliasRecord = {
        name: aliasName,
        functionVersion: version,
        description: typeof body['Description'] === 'string' ? body['Description'] : current.description,
        additionalVersionWeights: 'RoutingConfig' in body ? parseRouting(registry, name, version, body['RoutingConfig']) : current.additionalVersionWeights,
        revisionId: registry.entropy.uuid(),
      };
      registry.putAlias(name, alias);
      sendJson(res, 200, aliasResponse(deps.account, name, alias), requestId);
      return;
    }
  }
  req.resume();
  throw unknownOperation(method, req.url ?? '');
}
