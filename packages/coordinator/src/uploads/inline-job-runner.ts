import type { JobRunner } from './package-jobs.js';
import { fromJobError } from './job-errors.js';
import type { UploadJob, UploadJobResults, UploadJobType } from './upload-jobs.js';
import { runUploadJob } from './upload-worker.js';

/**
 * Package jobs on the caller's own thread: the upload worker's very code, without the worker. For
 * virtual time (issue 16), where deploys are few and happen while time stands still; `wrap` lets
 * the simulation hold its clock while a job's real I/O (zip reading, hashing, the code store) runs.
 */
export class InlineJobRunner implements JobRunner {
  readonly #wrap: <T>(work: Promise<T>) => Promise<T>;

  constructor(components: { wrap?: <T>(work: Promise<T>) => Promise<T> } = {}) {
    this.#wrap = components.wrap ?? ((work) => work);
  }

  async run<T extends UploadJobType>(job: Extract<UploadJob, { type: T }>): Promise<UploadJobResults[T]> {
    const { outcome } = await this.#wrap(runUploadJob(job));
    if (!outcome.ok) throw fromJobError(outcome.error);
    return outcome.value as UploadJobResults[T];
  }
}
