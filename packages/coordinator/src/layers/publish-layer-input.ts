import { invalidParameter, validationError } from '../errors.js';
import { LAMBDA_RUNTIMES } from '../registry/create-function-input.js';
import type { PublishLayerInput } from './layer-catalog.js';

function stringList(field: string, v: unknown, allowed: readonly string[], max: number): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.length > max || v.some((x) => typeof x !== 'string' || !allowed.includes(x))) {
    throw validationError(field, JSON.stringify(v), `Member must have length less than or equal to ${max} and satisfy enum value set: [${allowed.join(', ')}]`);
  }
  return v as string[];
}

/** Validates a PublishLayerVersion body. */
export function parsePublishLayer(body: Record<string, unknown>): PublishLayerInput {
  const content = body['Content'];
  if (typeof content !== 'object' || content === null) throw validationError('content', null, 'Member must not be null');
  const c = content as Record<string, unknown>;
  if (c['S3Bucket'] !== undefined) throw invalidParameter('Content.S3Bucket is not supported by zonesim; use Content.ZipFile.');
  const zipB64 = c['ZipFile'];
  if (typeof zipB64 !== 'string' || zipB64.length === 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(zipB64) || zipB64.length % 4 !== 0) {
    throw invalidParameter('Content.ZipFile must be a base64-encoded .zip file.');
  }
  const description = body['Description'] ?? '';
  if (typeof description !== 'string' || description.length > 256) throw validationError('description', description, 'Member must have length less than or equal to 256');
  const license = body['LicenseInfo'];
  if (license !== undefined && (typeof license !== 'string' || license.length > 512)) throw validationError('licenseInfo', license, 'Member must have length less than or equal to 512');
  return {
    zipFile: Buffer.from(zipB64, 'base64'),
    description,
    ...(typeof license === 'string' ? { licenseInfo: license } : {}),
    compatibleRuntimes: stringList('compatibleRuntimes', body['CompatibleRuntimes'], LAMBDA_RUNTIMES, 15),
    compatibleArchitectures: stringList('compatibleArchitectures', body['CompatibleArchitectures'], ['x86_64', 'arm64'], 2),
  };
}

