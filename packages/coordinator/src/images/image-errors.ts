/**
 * Why a container image was refused. The coordinator answers any {@link ImageError} with
 * `InvalidParameterValueException` and this message (Lambda answers bad images the same way at
 * CreateFunction), so the message names the image and, where one is at fault, the layer entry.
 */
export const ImageErrorCode = {
  /** `ImageUri` does not name a readable image (no such path, unknown upload, bad syntax). */
  NotFound: 'IMAGE_NOT_FOUND',
  /** The layout, manifest or config is missing or malformed, or a digest does not match. */
  Malformed: 'IMAGE_MALFORMED',
  /** A layer (or the outer tarball) has an entry whose path would land outside the root. */
  UnsafePath: 'IMAGE_UNSAFE_PATH',
  /** A symbolic link in a layer points outside the root, or an entry is written through a link. */
  UnsafeSymlink: 'IMAGE_UNSAFE_SYMLINK',
  /** The image is larger than zonesim accepts (entries, bytes). */
  TooLarge: 'IMAGE_TOO_LARGE',
  /** A layer compression or media type zonesim cannot read (zstd, foreign layers). */
  Unsupported: 'IMAGE_UNSUPPORTED',
} as const;
/** One of {@link ImageErrorCode}. */
export type ImageErrorCode = (typeof ImageErrorCode)[keyof typeof ImageErrorCode];

/** A refused image; `entryName` names the offending entry when there is one. */
export class ImageError extends Error {
  override readonly name = 'ImageError';
  constructor(
    readonly code: ImageErrorCode,
    message: string,
    readonly entryName?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True for an {@link ImageError}, judged by name and code. */
export function isImageError(err: unknown): err is ImageError {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'ImageError' && typeof (err as { code?: unknown }).code === 'string';
}
