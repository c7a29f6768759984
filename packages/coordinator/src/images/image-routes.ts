import type { IncomingMessage, ServerResponse } from 'node:http';
import { LambdaApiError, invalidParameter } from '../errors.js';
import { sendJson } from '../http/respond.js';
import type { ImageBuilder } from './image-builder.js';
import { isImageError } from './image-errors.js';

/** `PUT /zonesim/v1/images/{name}`: the path of zonesim's image upload. */
export const IMAGE_UPLOAD_PATH = /^\/zonesim\/v1\/images\/([^/]+)$/;

/**
 * `PUT /zonesim/v1/images/{name}` with an image tarball as the body (`docker save IMAGE`, an OCI
 * archive, gzip or not): stores it and answers 201 `{ImageUri, ImageDigest, Size}`; the `ImageUri`
 * (`zonesim://images/{name}`) then deploys with `PackageType: Image`. A tarball that is not an image
 * is refused with InvalidParameterValueException and not kept.
 */
export async function handleImageUpload(images: ImageBuilder | undefined, req: IncomingMessage, res: ServerResponse, method: string, rawName: string, requestId: string): Promise<void> {
  if (method !== 'PUT') {
    req.resume();
    throw new LambdaApiError('UnsupportedOperationException', 405, `${method} is not allowed on an image; use PUT with the image tarball as the body`);
  }
  if (!images) {
    req.resume();
    throw invalidParameter('This coordinator has no image store.');
  }
  const name = decodeURIComponent(rawName);
  try {
    images.uploadPath(name);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > images.limits.maxArchiveBytes) {
      req.resume();
      throw new LambdaApiError('RequestTooLargeException', 413, `Request must be smaller than ${images.limits.maxArchiveBytes} bytes for an image upload`);
    }
    const saved = await images.saveUpload(name, req);
    sendJson(res, 201, { ImageUri: saved.imageUri, ImageDigest: saved.digest, Size: saved.bytes, Sha256: saved.sha256 }, requestId);
  } catch (err) {
    if (!req.readableEnded) req.resume();
    if (isImageError(err)) throw err.code === 'IMAGE_TOO_LARGE' ? new LambdaApiError('RequestTooLargeException', 413, err.message) : invalidParameter(err.message, err);
    throw err;
  }
}
