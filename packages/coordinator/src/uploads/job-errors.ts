import { CodeError, isCodeError, type CodeErrorCode, type CodeErrorFields } from '@zonesim/code';
import { LambdaApiError } from '../errors.js';
import { ImageError, isImageError, type ImageErrorCode } from '../images/image-errors.js';

/**
 * Errors across the thread boundary, as data (structured clone keeps an `Error`'s message but not
 * its class or fields). One converter each way: the worker turns what a job threw into a
 * {@link JobError}; the event loop turns it back into the same class with the same message and
 * fields, so that routes and the registry tell errors apart as they did before the work moved
 * (`isCodeError`, `isImageError`, `LambdaApiError`'s type and status).
 */
export type JobError =
  | { kind: 'lambda'; type: string; status: number; message: string; extra: Record<string, unknown>; retryAfterSec?: number }
  | { kind: 'code'; code: CodeErrorCode; message: string; fields: CodeErrorFields }
  | { kind: 'image'; code: ImageErrorCode; message: string; entryName?: string }
  | { kind: 'other'; name: string; message: string; code?: string };

/** In the worker: what a job threw, as data. */
export function toJobError(err: unknown): JobError {
  if (err instanceof LambdaApiError) {
    return { kind: 'lambda', type: err.type, status: err.status, message: err.message, extra: err.extra, ...(err.retryAfterSec === undefined ? {} : { retryAfterSec: err.retryAfterSec }) };
  }
  if (isCodeError(err)) {
    const { entryName, target, limit, observed, detail } = err;
    const fields: CodeErrorFields = Object.fromEntries(Object.entries({ entryName, target, limit, observed, detail }).filter(([, v]) => v !== undefined));
    return { kind: 'code', code: err.code, message: err.message, fields };
  }
  if (isImageError(err)) return { kind: 'image', code: err.code, message: err.message, ...(err.entryName === undefined ? {} : { entryName: err.entryName }) };
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as NodeJS.ErrnoException).code;
  return { kind: 'other', name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}) };
}

/**
 * On the event loop: the error a job's {@link JobError} stands for. Anything that is not a refusal
 * of the upload (disk full, a bug) comes back as a plain `Error` with its name, message and errno
 * code: the front door logs it and answers `ServiceException` without its details, as before.
 */
export function fromJobError(data: JobError): Error {
  switch (data.kind) {
    case 'lambda':
      return new LambdaApiError(data.type, data.status, data.message, { extra: data.extra, ...(data.retryAfterSec === undefined ? {} : { retryAfterSec: data.retryAfterSec }) });
    case 'code':
      return new CodeError(data.code, data.message, data.fields);
    case 'image':
      return new ImageError(data.code, data.message, data.entryName);
    case 'other':
      return Object.assign(new Error(data.message), { name: data.name, ...(data.code === undefined ? {} : { code: data.code }) });
  }
}
