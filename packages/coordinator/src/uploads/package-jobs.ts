import type { ZipInfo, ZipLimits } from '@zonesim/code';
import type { BuiltImage, ImageBuilderSettings } from '../images/image-builder.js';
import type { CreateFunctionInput } from '../registry/create-function-input.js';
import type { PublishLayerInput } from '../layers/layer-catalog.js';
import type { UpdateCodeInput } from '../registry/update-code-input.js';
import { asBuffer, movable } from './transfer.js';
import type { UploadJob, UploadJobResults, UploadJobType, ZipInfoData } from './upload-jobs.js';

/**
 * What runs package jobs: the coordinator's `UploadPool` (worker threads) in a real process, or
 * `InlineJobRunner` in virtual time (the same job code on the caller's thread, its real I/O
 * wrapped so that virtual time stands still while it runs).
 */
export interface JobRunner {
  run<T extends UploadJobType>(job: Extract<UploadJob, { type: T }>, transfer?: ArrayBuffer[]): Promise<UploadJobResults[T]>;
}

/**
 * The registry's and the function routes' view of the upload workers: one typed method per job,
 * bytes moved to the worker and back without copies, results as the event-loop code used them
 * before (`Buffer`s, `ZipInfo` with `Buffer` contents). A buffer handed to a method is moved: the
 * caller must not read it afterwards (methods that give bytes back return them).
 */
export class PackageJobs {
  readonly #pool: JobRunner;
  readonly #storeRoot: string;

  constructor(pool: JobRunner, settings: { storeRoot: string }) {
    this.#pool = pool;
    this.#storeRoot = settings.storeRoot;
  }

  /** CreateFunction's body parsed and validated (`parseCreateFunctionInput`), its zip decoded. */
  async parseCreateFunction(body: Buffer, maxZipBytes: number): Promise<CreateFunctionInput> {
    const m = movable(body);
    const input = await this.#pool.run({ type: 'parse-create-function', body: m.bytes, maxZipBytes }, m.transfer);
    return { ...input, zipFile: asBuffer(input.zipFile) };
  }

  /** UpdateFunctionCode's body parsed and validated (`parseUpdateCodeInput`). */
  async parseUpdateCode(body: Buffer): Promise<UpdateCodeInput> {
    const m = movable(body);
    const input = await this.#pool.run({ type: 'parse-update-code', body: m.bytes }, m.transfer);
    return 'zipFile' in input ? { ...input, zipFile: asBuffer(input.zipFile) } : input;
  }

  /** PublishLayerVersion's body parsed and validated (`parsePublishLayer`), its zip decoded. */
  async parsePublishLayer(body: Buffer): Promise<PublishLayerInput> {
    const m = movable(body);
    const input = await this.#pool.run({ type: 'parse-publish-layer', body: m.bytes }, m.transfer);
    return { ...input, zipFile: asBuffer(input.zipFile) };
  }

  /** `inspectZip(zip, limits, { readFiles })`; the zip comes back with the result. */
  async inspect(zip: Buffer, limits: ZipLimits, readFiles: readonly string[] = []): Promise<{ info: ZipInfo; zip: Buffer }> {
    const m = movable(zip);
    const r = await this.#pool.run({ type: 'inspect-zip', zip: m.bytes, limits, readFiles: [...readFiles] }, m.transfer);
    return { info: zipInfo(r.info), zip: asBuffer(r.zip) };
  }

  /** `CodeStore.put(zip)` on the coordinator's code store; the hex SHA-256. */
  async store(zip: Buffer): Promise<string> {
    const m = movable(zip);
    return (await this.#pool.run({ type: 'store-zip', zip: m.bytes, storeRoot: this.#storeRoot }, m.transfer)).sha256Hex;
  }

  /** `ImageBuilder.build(uri)` and `inspectZip` of the root's zip under `limits`. */
  async buildImage(uri: string, images: ImageBuilderSettings, limits: ZipLimits): Promise<{ built: BuiltImage; info: ZipInfo }> {
    const { info, zip, ...image } = await this.#pool.run({ type: 'build-image', uri, images, limits });
    return { built: { ...image, zip: asBuffer(zip) }, info: zipInfo(info) };
  }

  /** `ImageBuilder.inspectArchive(path)`: the digest of an uploaded tarball's image. */
  inspectImageArchive(path: string, images: ImageBuilderSettings): Promise<{ digest: string }> {
    return this.#pool.run({ type: 'inspect-image-archive', path, images });
  }
}

function zipInfo(data: ZipInfoData): ZipInfo {
  const { contents, ...rest } = data;
  return contents === undefined ? rest : { ...rest, contents: new Map([...contents].map(([k, v]) => [k, asBuffer(v)])) };
}
