import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidParameter, unknownOperation, validationError } from '../errors.js';
import type { LayerCatalog, LayerVersionRecord } from '../layers/layer-catalog.js';
import type { PackageJobs } from '../uploads/package-jobs.js';
import { lambdaTimestamp } from '../registry/function-record.js';
import { receiveBody } from './body.js';
import { sendEmpty, sendJson } from './respond.js';

/** `/2018-10-31/layers`, `/2018-10-31/layers/{name}/versions[/{number}]`. */
export const LAYERS_PATH = /^\/2018-10-31\/layers(?:\/([^/]+)\/versions(?:\/([^/]+))?)?\/?$/;

/** Deps of the layer operations. */
export interface LayerRouteDeps {
  layers: LayerCatalog;
  /** Base URL for `Content.Location` links. */
  apiUrl: () => string;
  /** Largest base64 body PublishLayerVersion takes (a zip of maxZipBytes). */
  maxBodyBytes: number;
  /** The upload workers: the body is parsed and decoded off the event loop, as CreateFunction's is. */
  jobs: PackageJobs;
}

/** A layer version as Lambda shows it in a list (no `Content`). */
function versionView(layers: LayerCatalog, v: LayerVersionRecord): Record<string, unknown> {
  return {
    LayerVersionArn: layers.versionArn(v),
    Version: v.version,
    Description: v.description,
    CreatedDate: lambdaTimestamp(v.createdAt),
    CompatibleRuntimes: v.compatibleRuntimes,
    ...(v.licenseInfo === undefined ? {} : { LicenseInfo: v.licenseInfo }),
    CompatibleArchitectures: v.compatibleArchitectures,
  };
}

/** A layer version as PublishLayerVersion and GetLayerVersion answer it. */
function fullView(deps: LayerRouteDeps, v: LayerVersionRecord): Record<string, unknown> {
  return {
    Content: { Location: `${deps.apiUrl()}/zonesim/v1/layers/${v.name}/versions/${v.version}/content.zip`, CodeSha256: v.codeSha256, CodeSize: v.codeSize },
    LayerArn: deps.layers.layerArn(v.name),
    ...versionView(deps.layers, v),
  };
}

function versionNumber(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) throw validationError('versionNumber', raw, 'Member must be a number');
  return n;
}

/** Paging as Lambda's list operations do it: `Marker` is the index to start at, `MaxItems` 1-50. */
function page<T>(items: T[], query: URLSearchParams): { items: T[]; next?: string } {
  const start = Number(query.get('Marker') ?? '0');
  const max = Number(query.get('MaxItems') ?? '50');
  if (!Number.isInteger(start) || start < 0) throw invalidParameter('Marker is not valid.');
  if (!Number.isInteger(max) || max < 1 || max > 50) throw validationError('maxItems', query.get('MaxItems'), 'Member must have value between 1 and 50');
  const slice = items.slice(start, start + max);
  return start + max < items.length ? { items: slice, next: String(start + max) } : { items: slice };
}

/**
 * PublishLayerVersion (`POST .../versions`, 201), GetLayerVersion (`GET .../versions/{n}`),
 * DeleteLayerVersion (`DELETE .../versions/{n}`, 204), ListLayerVersions (`GET .../versions`),
 * ListLayers (`GET /2018-10-31/layers`) and GetLayerVersionByArn (`GET /2018-10-31/layers?find=LayerVersion&Arn=`).
 */
export async function handleLayers(
  deps: LayerRouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  rawName: string | undefined,
  rawVersion: string | undefined,
  query: URLSearchParams,
  requestId: string,
): Promise<void> {
  const filter = {
    ...(query.get('CompatibleRuntime') ? { runtime: query.get('CompatibleRuntime')! } : {}),
    ...(query.get('CompatibleArchitecture') ? { architecture: query.get('CompatibleArchitecture')! } : {}),
  };
  if (rawName === undefined) {
    if (method !== 'GET') throw unknownOperation(method, req.url ?? '');
    if (query.get('find') === 'LayerVersion') {
      sendJson(res, 200, fullView(deps, deps.layers.getByArn(query.get('Arn') ?? '')), requestId);
      return;
    }
    const { items, next } = page(deps.layers.listLayers(filter), query);
    sendJson(res, 200, { Layers: items.map((l) => ({ LayerName: l.name, LayerArn: deps.layers.layerArn(l.name), LatestMatchingVersion: versionView(deps.layers, l.latest) })), ...(next ? { NextMarker: next } : {}) }, requestId);
    return;
  }
  const name = decodeURIComponent(rawName);
  if (rawVersion === undefined) {
    if (method === 'POST') {
      const { bytes } = await receiveBody(req, deps.maxBodyBytes, 'PublishLayerVersion');
      const input = await deps.jobs.parsePublishLayer(bytes);
      sendJson(res, 201, fullView(deps, await deps.layers.publish(name, input)), requestId);
      return;
    }
    if (method === 'GET') {
      const { items, next } = page(deps.layers.listVersions(name, filter), query);
      sendJson(res, 200, { LayerVersions: items.map((v) => versionView(deps.layers, v)), ...(next ? { NextMarker: next } : {}) }, requestId);
      return;
    }
    throw unknownOperation(method, req.url ?? '');
  }
  const version = versionNumber(decodeURIComponent(rawVersion));
  if (method === 'GET') {
    sendJson(res, 200, fullView(deps, deps.layers.get(name, version)), requestId);
    return;
  }
  if (method === 'DELETE') {
    await deps.layers.delete(name, version);
    sendEmpty(res, 204, requestId);
    return;
  }
  throw unknownOperation(method, req.url ?? '');
}
