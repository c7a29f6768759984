import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageError, ImageErrorCode } from './image-errors.js';

/**
 * Where an `ImageUri` points (docs/runtimes.md, "Where images come from"). Lambda deploys only
 * images from a registry the platform controls; zonesim has no registry, so it reads an image from
 * its own upload store (`zonesim://images/NAME`) or, when the operator named image directories
 * (`--image-dir`), from a path under one of them. Any other host path is refused, and every refusal
 * of a host path (outside those directories, missing, unreadable, neither file nor directory, a
 * link leading out) has one message that repeats only what the caller wrote: an API caller cannot
 * learn which paths exist on the coordinator's machine (issue 15, finding 6).
 */

/** The scheme of uploaded images: `zonesim://images/<name>`. */
export const UPLOADED_IMAGE_PREFIX = 'zonesim://images/';

/** A located image. */
export interface ImageLocation {
  /** `upload`: in the coordinator's own store; `host`: under an operator's image directory. */
  kind: 'upload' | 'host';
  /** The uri as given (without `#ref`): what messages may show. */
  shown: string;
  path: string;
  ref?: string;
}

/** The one refusal of a host path, whatever the reason (see the module comment). */
export function unreadableHostImage(shown: string, cause?: unknown): ImageError {
  return new ImageError(
    ImageErrorCode.NotFound,
    `ImageUri ${JSON.stringify(shown.slice(0, 256))} does not name an image this coordinator can read: paths on the coordinator's machine are read only under the image directories its operator named (--image-dir), and must be an OCI image layout directory or an OCI / docker-archive tarball there`,
    undefined,
    cause === undefined ? undefined : { cause },
  );
}

/** Where `uri` points, from its text alone (no file system access). */
export function locateImage(uri: string, uploadPath: (name: string) => string, hostDirs: readonly string[]): ImageLocation {
  const hash = uri.lastIndexOf('#');
  const base = hash >= 0 ? uri.slice(0, hash) : uri;
  const ref = hash >= 0 && hash < uri.length - 1 ? uri.slice(hash + 1) : undefined;
  const withRef = (kind: ImageLocation['kind'], path: string): ImageLocation => ({ kind, shown: base, path, ...(ref === undefined ? {} : { ref }) });
  if (base.startsWith(UPLOADED_IMAGE_PREFIX)) return withRef('upload', uploadPath(base.slice(UPLOADED_IMAGE_PREFIX.length)));
  let path: string | undefined;
  if (base.startsWith('file://')) {
    try {
      path = fileURLToPath(base);
    } catch (err) {
      throw unreadableHostImage(base, err);
    }
  } else if (isAbsolute(base)) path = base;
  if (path === undefined) {
    throw new ImageError(
      ImageErrorCode.NotFound,
      `zonesim does not pull from registries: ImageUri must be ${UPLOADED_IMAGE_PREFIX}NAME for an image uploaded with PUT /zonesim/v1/images/NAME, or the path (or file:// URL) of an image under one of the coordinator's image directories (--image-dir); got ${JSON.stringify(uri.slice(0, 256))}`,
    );
  }
  const abs = resolve(path);
  // Decided from the text first, so a path outside costs no file system access at all.
  if (!hostDirs.some((dir) => isInside(dir, abs))) throw unreadableHostImage(base);
  return withRef('host', abs);
}

/**
 * The real path of a host location, refused like any unreadable host path when it does not exist
 * or a link on the way leads out of every image directory.
 */
export async function realHostPath(location: ImageLocation, hostDirs: readonly string[]): Promise<string> {
  try {
    const real = await realpath(location.path);
    const dirs = await Promise.all(hostDirs.map((d) => realpath(d).catch(() => undefined)));
    if (dirs.some((d) => d !== undefined && isInside(d, real))) return real;
  } catch (err) {
    throw unreadableHostImage(location.shown, err);
  }
  throw unreadableHostImage(location.shown);
}

function isInside(dir: string, path: string): boolean {
  const r = relative(dir, path);
  return r !== '..' && !r.startsWith(`..${sep}`) && !isAbsolute(r);
}
