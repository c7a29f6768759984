import { createHash, randomBytes } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, rename, rm, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { MAX_IMAGE_PACKAGE_BYTES, MAX_IMAGE_UNPACKED_BYTES } from '@zonesim/protocol';
import { ImageError, ImageErrorCode } from './image-errors.js';
import { openLayoutDirectory, openLayoutTarball, type ImageLayout } from './image-layout.js';
import { resolveImage, type ImageConfigFields } from './image-manifest.js';
import { RootBuilder, type UnpackLimits } from './layer-unpacker.js';
import { zipRoot } from './root-zip.js';

/**
 * Container images for `PackageType: Image` (docs/runtimes.md). zonesim has no registry client and
 * no container engine: an `ImageUri` names an image on the coordinator's machine (an OCI image
 * layout directory, or an OCI / docker-archive tarball as `docker save` writes it) or one uploaded
 * with `PUT /zonesim/v1/images/{name}`. {@link ImageBuilder.build} reads its manifest and config,
 * unpacks its layers into a root (whiteouts applied, escapes refused) and packs the root as a zip
 * that reaches zone nodes like any deployment package.
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

/** The scheme of uploaded images: `zonesim://images/<name>`. */
export const UPLOADED_IMAGE_PREFIX = 'zonesim://images/';
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

/** Where `ImageUri` points. */
interface ImageLocation {
  path: string;
  ref?: string;
}

/** Builds images into deployable roots; keeps uploaded image tarballs under `<dir>/uploads/`. */
export class ImageBuilder {
  readonly dir: string;
  readonly limits: ResolvedImageLimits;

  constructor(options: { dir: string; limits?: ImageLimits }) {
    this.dir = options.dir;
    this.limits = { ...DEFAULT_IMAGE_LIMITS, ...Object.fromEntries(Object.entries(options.limits ?? {}).filter(([, v]) => v !== undefined)) };
    for (const [field, value] of Object.entries(this.limits)) {
      if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`ImageLimits.${field} must be a positive integer, got ${String(value)}`);
    }
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
      const image = await this.#withLayout({ path: tmp }, signal, async (layout) => resolveImage(layout));
      await rename(tmp, target);
      return { imageUri: `${UPLOADED_IMAGE_PREFIX}${name}`, digest: image.digest, bytes, sha256: hash.digest('hex') };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /**
   * Reads, checks and unpacks the image `uri` names and packs its root.
   * @throws ImageError for anything wrong with the image (the caller answers InvalidParameterValueException).
   */
  async build(uri: string, signal?: AbortSignal): Promise<BuiltImage> {
    const location = this.#locate(uri);
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

  #locate(uri: string): ImageLocation {
    const hash = uri.lastIndexOf('#');
    const base = hash >= 0 ? uri.slice(0, hash) : uri;
    const ref = hash >= 0 && hash < uri.length - 1 ? uri.slice(hash + 1) : undefined;
    const withRef = (path: string): ImageLocation => (ref === undefined ? { path } : { path, ref });
    if (base.startsWith(UPLOADED_IMAGE_PREFIX)) return withRef(this.uploadPath(base.slice(UPLOADED_IMAGE_PREFIX.length)));
    if (base.startsWith('file://')) {
      try {
        return withRef(fileURLToPath(base));
      } catch (err) {
        throw new ImageError(ImageErrorCode.NotFound, `ImageUri ${base} is not a valid file URL`, undefined, { cause: err });
      }
    }
    if (isAbsolute(base)) return withRef(base);
    throw new ImageError(
      ImageErrorCode.NotFound,
      `zonesim does not pull from registries: ImageUri must be an absolute path (or file:// URL) of an OCI image layout directory or an OCI / docker-archive tarball on the coordinator's machine, or ${UPLOADED_IMAGE_PREFIX}NAME for an image uploaded with PUT /zonesim/v1/images/NAME; got ${JSON.stringify(uri.slice(0, 256))}`,
    );
  }

  async #withLayout<T>(location: ImageLocation, signal: AbortSignal | undefined, use: (layout: ImageLayout) => Promise<T>): Promise<T> {
    const info = await stat(location.path).catch(() => undefined);
    if (!info) throw new ImageError(ImageErrorCode.NotFound, `No image at ${location.path}`);
    let layout: ImageLayout;
    if (info.isDirectory()) layout = await openLayoutDirectory(location.path);
    else if (info.isFile()) {
      // Readable at all? A clear error beats a tar parse failure.
      await (await open(location.path, constants.O_RDONLY)).close();
      layout = await openLayoutTarball(location.path, join(this.dir, 'work'), this.limits.maxArchiveBytes, signal);
    } else throw new ImageError(ImageErrorCode.NotFound, `${location.path} is neither a directory nor a file`);
    try {
      return await use(layout);
    } finally {
      await layout.close();
    }
  }
}
