/**
 * The upload worker: runs one {@link UploadJob} per call in a worker thread of the coordinator's
 * {@link UploadPool} (piscina loads this file and calls its default export). Each job is the same
 * code the event loop ran before issue 15 (finding 4) moved it here: JSON parsing and validation of
 * CreateFunction / UpdateFunctionCode, base64 decoding, `inspectZip`, `CodeStore.put`, image
 * building. Errors come back as data; bytes come back transferred.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { CodeStore, inspectZip } from '@zonesim/code';
import { parseJsonObject } from '../http/body.js';
import { ImageBuilder } from '../images/image-builder.js';
import { parseCreateFunctionInput } from '../registry/create-function-input.js';
import { parseUpdateCodeInput } from '../registry/update-code-input.js';
import { parsePublishLayer } from '../layers/publish-layer-input.js';
import { toJobError } from './job-errors.js';
import { asBuffer, movable } from './transfer.js';
import type { UploadJob, UploadJobOutcome, UploadJobResults, UploadJobType } from './upload-jobs.js';

/** A job's outcome and the buffers to transfer with it. */
export interface RanJob {
  outcome: UploadJobOutcome;
  transfer: ArrayBuffer[];
}

/** Runs `job` in this thread; never throws (a failure is an outcome). */
export async function runUploadJob(job: UploadJob): Promise<RanJob> {
  try {
    const [value, transfer] = await run(job);
    return { outcome: { ok: true, value }, transfer };
  } catch (err) {
    return { outcome: { ok: false, error: toJobError(err) }, transfer: [] };
  }
}

type Ran<T extends UploadJobType> = [UploadJobResults[T], ArrayBuffer[]];

async function run(job: UploadJob): Promise<Ran<UploadJobType>> {
  switch (job.type) {
    case 'parse-create-function': {
      const input = parseCreateFunctionInput(parseJsonObject(job.body), job.maxZipBytes);
      const zip = movable(input.zipFile);
      return [{ ...input, zipFile: zip.bytes }, zip.transfer];
    }
    case 'parse-update-code': {
      const input = parseUpdateCodeInput(parseJsonObject(job.body));
      if (!('zipFile' in input)) return [input, []];
      const zip = movable(input.zipFile);
      return [{ ...input, zipFile: zip.bytes }, zip.transfer];
    }
    case 'parse-publish-layer': {
      const input = parsePublishLayer(parseJsonObject(job.body));
      const zip = movable(input.zipFile);
      return [{ ...input, zipFile: zip.bytes }, zip.transfer];
    }
    case 'inspect-zip': {
      const info = await inspectZip(asBuffer(job.zip), job.limits, { readFiles: job.readFiles });
      const zip = movable(job.zip);
      return [{ info, zip: zip.bytes }, zip.transfer];
    }
    case 'store-zip':
      return [{ sha256Hex: await new CodeStore({ root: job.storeRoot }).put(job.zip) }, []];
    case 'build-image': {
      const { zip: built, ...image } = await new ImageBuilder(job.images).build(job.uri);
      const info = await inspectZip(built, job.limits);
      const zip = movable(built);
      return [{ ...image, info, zip: zip.bytes }, zip.transfer];
    }
    case 'inspect-image-archive':
      return [await new ImageBuilder(job.images).inspectArchive(job.path), []];
  }
}

/** piscina's entry: the outcome, with its buffers marked for transfer (piscina's `move` protocol). */
export default async function uploadWorker(job: UploadJob): Promise<unknown> {
  const { outcome, transfer } = await runUploadJob(job);
  return move({ [transferableSymbol]: transfer, [valueSymbol]: outcome } as unknown as ArrayBuffer);
}
