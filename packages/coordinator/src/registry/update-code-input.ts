import { invalidParameter } from '../errors.js';

/** An UpdateFunctionCode request after validation: a new image, or a new zip. */
export type UpdateCodeInput = { publish: boolean; revisionId?: string } & ({ imageUri: string } | { zipFile: Buffer });

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Validates an UpdateFunctionCode body as Lambda does: a non-empty `ImageUri` wins (an image
 * function); otherwise `ZipFile` must be base64 and is decoded here. Pure, so the upload worker runs
 * it on a body of up to ~67 MB off the event loop (issue 15, finding 4).
 */
export function parseUpdateCodeInput(body: Record<string, unknown>): UpdateCodeInput {
  const publish = body['Publish'] === true;
  const revisionId = typeof body['RevisionId'] === 'string' ? body['RevisionId'] : undefined;
  const common = { publish, ...(revisionId === undefined ? {} : { revisionId }) };
  const imageUri = body['ImageUri'];
  if (typeof imageUri === 'string' && imageUri.length > 0) return { ...common, imageUri };
  const zipB64 = body['ZipFile'];
  if (typeof zipB64 !== 'string' || zipB64.length === 0 || zipB64.length % 4 !== 0 || !BASE64.test(zipB64)) {
    throw invalidParameter('ZipFile must be a base64-encoded .zip file (or ImageUri for an image function); S3 code is not supported by zonesim.');
  }
  return { ...common, zipFile: Buffer.from(zipB64, 'base64') };
}
