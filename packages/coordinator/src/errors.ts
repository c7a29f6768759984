/**
 * Errors the Lambda front door returns, with Lambda's names, HTTP statuses and body shapes
 * (lambda-facts 1.4). The SDK picks the exception class from the `x-amzn-ErrorType` header, so the
 * `type` must be Lambda's exact name.
 */

/** How Lambda spells the message key for each exception (it differs per exception in the API model). */
const LOWERCASE_MESSAGE: ReadonlySet<string> = new Set([
  'TooManyRequestsException',
  'RequestTooLargeException',
  'InvalidRequestContentException',
  'InvalidParameterValueException',
  'ResourceConflictException',
  'UnsupportedMediaTypeException',
  'ValidationException',
  'ResourceInUseException',
]);

/** An error answered to an API caller: Lambda's exception name, status and message. */
export class LambdaApiError extends Error {
  override readonly name = 'LambdaApiError';
  /** Lambda's exception name, sent as `x-amzn-ErrorType`. */
  readonly type: string;
  readonly status: number;
  /** Extra body fields, e.g. `Reason` for throttles. */
  readonly extra: Record<string, unknown>;
  /** Seconds for a `Retry-After` header, if any. */
  readonly retryAfterSec: number | undefined;

  constructor(
    type: string,
    status: number,
    message: string,
    options: { extra?: Record<string, unknown>; retryAfterSec?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.type = type;
    this.status = status;
    this.extra = options.extra ?? {};
    this.retryAfterSec = options.retryAfterSec;
  }

  /** The JSON body Lambda sends for this error. */
  body(): Record<string, unknown> {
    const key = LOWERCASE_MESSAGE.has(this.type) ? 'message' : 'Message';
    return { ...this.extra, Type: this.status >= 500 ? 'Service' : 'User', [key]: this.message };
  }
}

/** 400: a parameter has a value Lambda refuses. */
export const invalidParameter = (message: string, cause?: unknown): LambdaApiError =>
  new LambdaApiError('InvalidParameterValueException', 400, message, { cause });

/** 400: a field breaks a constraint of the API model (Lambda's "1 validation error detected" form). */
export const validationError = (field: string, value: unknown, constraint: string): LambdaApiError =>
  new LambdaApiError(
    'ValidationException',
    400,
    `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: ${constraint}`,
  );

/** 400: the request body is not what the operation takes (e.g. the Invoke payload is not JSON). */
export const invalidRequestContent = (message: string): LambdaApiError =>
  new LambdaApiError('InvalidRequestContentException', 400, message);

/** 404. */
export const resourceNotFound = (message: string): LambdaApiError =>
  new LambdaApiError('ResourceNotFoundException', 404, message);

/** 409. */
export const resourceConflict = (message: string): LambdaApiError =>
  new LambdaApiError('ResourceConflictException', 409, message);

/** 413: the request is above the operation's size limit. */
export const requestTooLarge = (message: string): LambdaApiError =>
  new LambdaApiError('RequestTooLargeException', 413, message);

/** 415. */
export const unsupportedMediaType = (message: string): LambdaApiError =>
  new LambdaApiError('UnsupportedMediaTypeException', 415, message);

/** 429 with Lambda's `Reason`. */
export const tooManyRequests = (reason: string, message = 'Rate Exceeded.', retryAfterSec?: number): LambdaApiError =>
  new LambdaApiError('TooManyRequestsException', 429, message, {
    extra: { Reason: reason },
    ...(retryAfterSec === undefined ? {} : { retryAfterSec }),
  });

/** 500: something inside the platform failed (Lambda's `ServiceException`). */
export const serviceException = (message: string, cause?: unknown): LambdaApiError =>
  new LambdaApiError('ServiceException', 500, message, { cause });

/** 404 for an unknown path or method, the way AWS's front door answers it. */
export const unknownOperation = (method: string, path: string): LambdaApiError =>
  new LambdaApiError('UnknownOperationException', 404, `Unknown operation ${method} ${path}`);
