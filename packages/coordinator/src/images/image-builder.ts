import { createHash, randomBytes } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MAX_IMAGE_PACKAGE_BYTES, MAX_IMAGE_UNPACKED_BYTES } from '@zonesim/protocol';
import { ImageError, ImageErrorCode } from './image-errors.js';
import { openLayoutDirectory, openLayoutTarball, type ImageLayout } from './image-layout.js';
import { UPLOADED_IMAGE_PREFIX, locateImage, realHostPath, unreadableHostImage, type ImageLocation } from './image-location.js';
import { resolveImage, type ImageConfigFields } from './image-manifest.js';
import { RootBuilder, type UnpackLimits } from './layer-unpacker.js';
import { zipRoot } from './root-zip.js';

/**
 * Container images for `PackageType: Image` (docs/runtimes.md). zonesim has no registry client and
 * no container engine: an `ImageUri` names an image uploaded with `PUT /zonesim/v1/images/{name}`
 * or one on the coordinator's machine under an image directory its operator named (an OCI image
 * layout directory, or an OCI / docker-archive tarball as `docker save` writes it; see
 * `image-location.ts`). {@link ImageBuilder.build} reads its manifest and config, unpacks its
 * layers into a root (whiteouts applied, escapes refused) and packs the root as a zip that reaches
 * zone nodes like any deployment package. The coordinator runs `build` and the check of an upload
 * in its upload workers (`uploads/`), off the event loop.
 */

/** Limits of images; every field optional. */
export interface ImageLimits {
  /** Unpacked root (file contents and link targets). @default 536870912 (512 MiB; Lambda: 10 GB) */
  maxUnpackedBytes?: number;
  /** Entries over all layers. @default 100000 */
  maxEntries?: number;
  /** An image tarball on disk or uploaded (its members, uncompressed). @default 2 GiB */
  maxArchiveBytes?: number;
}

/** Resolved {@link ImageLimits}. */
export type ResolvedImageLimits = Required<ImageLimits>;

export const DEFAULT_IMAGE_LIMITS: ResolvedImageLimits = {
  maxUnpackedBytes: MAX_IMAGE_UNPACKED_BYTES,
  maxEntries: 100_000,
  maxArchiveBytes: 2 * 1024 * 1024 * 1024,
};

export { UPLOADED_IMAGE_PREFIX };
/** Names of uploaded images. */
export const IMAGE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$/;

/** An image ready to deploy. */
export interface BuiltImage {
  /** The root as a deterministic zip. */
  zip: Buffer;
  /** `sha256:<hex>` of the manifest (docker-archive: of the config). */
  digest: string;
  format: 'oci' | 'docker-archive';
  config: ImageConfigFields;
  unpackedBytes: number;
}

/** Options of an {@link ImageBuilder}. */
export interface ImageBuilderOptions {
  /** Its working directory: uploads under `uploads/`, roots being built under `work/`. */
  dir: string;
  limits?: ImageLimits;
  /**
   * Directories of the coordinator's machine whose images an `ImageUri` may name by path (the
   * `--image-dir` flag). @default [] (only uploaded images)
   */
  hostDirs?: readonly string[];
}

/** {@link ImageBuilderOptions} resolved: plain data, so an upload worker can build the same builder. */
export interface ImageBuilderSettings {
  dir: string;
  limits: ResolvedImageLimits;
  hostDirs: readonly string[];
}

/** Components of an {@link ImageBuilder}. */
export interface ImageBuilderComponents {
  /**
   * Reads an uploaded tarball's manifest and returns the image digest (`saveUpload`'s check).
   * @default {@link ImageBuilder.inspectArchive} in this thread (the coordinator passes its upload workers)
   */
  inspectArchive?: (path: string, signal?: AbortSignal) => Promise<{ digest: string }>;
}

/** Builds images into deployable roots; keeps uploaded image tarballs under `<dir>/uploads/`. */
export class ImageBuilder {
  readonly dir: string;
  readonly limits: ResolvedImageLimits;
  readonly hostDirs: readonly string[];
  readonly #inspectArchive: (path: string, signal?: AbortSignal) => Promise<{ digest: string }>;

  constructor(options: ImageBuilderOptions, components: ImageBuilderComponents = {}) {
    this.dir = options.dir;
    this.limits = { ...DEFAULT_IMAGE_LIMITS, ...Object.fromEntries(Object.entries(options.limits ?? {}).filter(([, v]) => v !== undefined)) };
    for (const [field, value] of Object.entries(this.limits)) {
      if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`ImageLimits.${field} must be a positive integer, got ${String(value)}`);
    }
    const dirs = options.hostDirs ?? [];
    for (const d of dirs) if (typeof d !== 'string' || d === '') throw new TypeError('ImageBuilderOptions.hostDirs must be directory paths');
    this.hostDirs = Object.freeze(dirs.map((d) => resolve(d)));
    this.#inspectArchive = components.inspectArchive ?? ((path, signal) => this.inspectArchive(path, signal));
  }

  /** What it was built from, as plain data (see {@link ImageBuilderSettings}). */
  get settings(): ImageBuilderSettings {
    return { dir: this.dir, limits: this.limits, hostDirs: this.hostDirs };
  }

  /** Path of an uploaded image's tarball. */
  uploadPath(name: string): string {
    if (!IMAGE_NAME.test(name)) throw new ImageError(ImageErrorCode.NotFound, `${JSON.stringify(name.slice(0, 140))} is not a valid image name (${IMAGE_NAME.source})`);
    return join(this.dir, 'uploads', `${name}.tar`);
  }

  /**
   * Stores an uploaded image tarball (streamed to disk, at most `maxArchiveBytes`) and checks that
   * it is an image. Replaces an earlier upload of the same name only once the new one is whole.
   */
  async saveUpload(name: string, body: Readable, signal?: AbortSignal): Promise<{ imageUri: string; digest: string; bytes: number; sha256: string }> {
    const target = this.uploadPath(name);
    await mkdir(join(this.dir, 'uploads'), { recursive: true });
    const tmp = join(this.dir, 'uploads', `.${name}.${randomBytes(6).toString('hex')}.tmp`);
    const hash = createHash('sha256');
    let bytes = 0;
    const max = this.limits.maxArchiveBytes;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes > max) return done(new ImageError(ImageErrorCode.TooLarge, `the image tarball is larger than ${max} bytes`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, count, createWriteStream(tmp, { flags: 'wx', mode: 0o600 }), signal ? { signal } : {});
      const image = await this.#inspectArchive(tmp, signal);
      await rename(tmp, target);
      return { imageUri: `${UPLOADED_IMAGE_PREFIX}${name}`, digest: image.digest, bytes, sha256: hash.digest('hex') };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /**
   * The digest of the image in the tarball at `path` (an upload being checked), from its manifest.
   * @throws ImageError when it is not an image.
   */
  async inspectArchive(path: string, signal?: AbortSignal): Promise<{ digest: string }> {
    const image = await this.#withLayout({ kind: 'upload', shown: 'the uploaded tarball', path }, signal, async (layout) => resolveImage(layout));
    return { digest: image.digest };
  }

  /**
   * Reads, checks and unpacks the image `uri` names and packs its root.
   * @throws ImageError for anything wrong with the image (the caller answers InvalidParameterValueException).
   */
  async build(uri: string, signal?: AbortSignal): Promise<BuiltImage> {
    const location = locateImage(uri, (name) => this.uploadPath(name), this.hostDirs);
    return this.#withLayout(location, signal, async (layout) => {
      const image = await resolveImage(layout, location.ref);
      await mkdir(join(this.dir, 'work'), { recursive: true });
      const root = await mkdtemp(join(this.dir, 'work', 'root-'));
      try {
        const unpack: UnpackLimits = { maxUnpackedBytes: this.limits.maxUnpackedBytes, maxEntries: this.limits.maxEntries };
        const builder = new RootBuilder(root, unpack);
        for (const [i, layer] of image.layers.entries()) {
          const path = await layout.path(layer.member);
          if (path === undefined) throw new ImageError(ImageErrorCode.Malformed, `layer ${i} (${layer.member}) is missing from the image`);
          await builder.applyLayer(path, `${i} (${layer.member})`, layer.digests, signal);
        }
        const zip = await zipRoot(root, MAX_IMAGE_PACKAGE_BYTES);
        return { zip, digest: image.digest, format: image.format, config: image.config, unpackedBytes: builder.bytes };
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    });
  }

  /**
   * Opens the layout at `location`. A host path is resolved and checked again (a link may lead out
   * of the image directories), and whatever goes wrong before its bytes can be read is the one
   * refusal of `image-location.ts`; an upload that is missing says so by its uri.
   */
  async #withLayout<T>(location: ImageLocation, signal: AbortSignal | undefined, use: (layout: ImageLayout) => Promise<T>): Promise<T> {
    const host = location.kind === 'host';
    const path = host ? await realHostPath(location, this.hostDirs) : location.path;
    const refuse = (cause?: unknown): ImageError =>
      host ? unreadableHostImage(location.shown, cause) : new ImageError(ImageErrorCode.NotFound, `No image ${location.shown}: nothing was uploaded under that name (PUT /zonesim/v1/images/NAME)`, undefined, cause === undefined ? undefined : { cause });
    const info = await stat(path).catch((err: unknown) => {
      throw refuse(err);
    });
    let layout: ImageLayout;
    if (info.isDirectory()) layout = await openLayoutDirectory(path).catch((err: unknown) => {
      throw refuse(err);
    });
    else if (info.isFile()) {
      // Readable at all? A clear error beats a tar parse failure.
      await open(path, constants.O_RDONLY).then((h) => h.close(), (err: unknown) => {
        throw refuse(err);
      });
      layout = await openLayoutTarball(path, join(this.dir, 'work'), this.limits.maxArchiveBytes, signal);
    } else throw refuse();
    try {
      return await use(layout);
    } finally {
      await layout.close();
    }
  }
}
