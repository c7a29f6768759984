import type { ZipInfo, ZipLimits } from '@zonesim/code';
import type { ImageBuilderSettings } from '../images/image-builder.js';
import type { ImageConfigFields } from '../images/image-manifest.js';
import type { CreateFunctionInput } from '../registry/create-function-input.js';
import type { UpdateCodeInput } from '../registry/update-code-input.js';
import type { PublishLayerInput } from '../layers/layer-catalog.js';
import type { JobError } from './job-errors.js';

/**
 * The work an upload worker does (issue 15, finding 4): everything about a deployment package whose
 * cost grows with its size. Each job is a member of one union tagged by `type`; byte fields travel
 * transferred, not copied (`transfer.ts`). Validation runs in the worker with the same functions as
 * before, so every error is the one a caller got when it ran on the event loop.
 */
export type UploadJob =
  /** CreateFunction's body: JSON, validation, base64 decoding of `Code.ZipFile`. */
  | { type: 'parse-create-function'; body: Uint8Array; maxZipBytes: number }
  /** UpdateFunctionCode's body: JSON, `ImageUri` or `ZipFile` decoded. */
  | { type: 'parse-update-code'; body: Uint8Array }
  /** PublishLayerVersion's body: JSON, validation, base64 decoding of `Content.ZipFile`. */
  | { type: 'parse-publish-layer'; body: Uint8Array }
  /** `inspectZip`: every entry inflated and counted, the SHA-256; the zip comes back with the result. */
  | { type: 'inspect-zip'; zip: Uint8Array; limits: ZipLimits; readFiles: string[] }
  /** `CodeStore.put` at `storeRoot`: hashed, written to a temporary file, renamed into place. */
  | { type: 'store-zip'; zip: Uint8Array; storeRoot: string }
  /** `ImageBuilder.build` (layers unpacked, root zipped) and `inspectZip` of the root's zip. */
  | { type: 'build-image'; uri: string; images: ImageBuilderSettings; limits: ZipLimits }
  /** `ImageBuilder.inspectArchive` of an uploaded tarball. */
  | { type: 'inspect-image-archive'; path: string; images: ImageBuilderSettings };

/** The job types. */
export type UploadJobType = UploadJob['type'];

/** A `ZipInfo` as it crosses threads: `contents` values arrive as plain `Uint8Array`s. */
export type ZipInfoData = Omit<ZipInfo, 'contents'> & { contents?: Map<string, Uint8Array> };

/** What each job type answers. */
export interface UploadJobResults {
  'parse-create-function': Omit<CreateFunctionInput, 'zipFile'> & { zipFile: Uint8Array };
  'parse-update-code': Exclude<UpdateCodeInput, { zipFile: Buffer }> | (Omit<Extract<UpdateCodeInput, { zipFile: Buffer }>, 'zipFile'> & { zipFile: Uint8Array });
  'parse-publish-layer': Omit<PublishLayerInput, 'zipFile'> & { zipFile: Uint8Array };
  'inspect-zip': { info: ZipInfoData; zip: Uint8Array };
  'store-zip': { sha256Hex: string };
  'build-image': { zip: Uint8Array; info: ZipInfoData; digest: string; format: 'oci' | 'docker-archive'; config: ImageConfigFields; unpackedBytes: number };
  'inspect-image-archive': { digest: string };
}

/** A job's outcome as the worker answers it: errors travel as data (`job-errors.ts`). */
export type UploadJobOutcome<T extends UploadJobType = UploadJobType> =
  | { ok: true; value: UploadJobResults[T] }
  | { ok: false; error: JobError };
