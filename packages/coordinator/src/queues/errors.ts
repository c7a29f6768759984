/**
 * Errors of the built-in queue service, as SQS answers them over its JSON protocol (awsJson1_0 with
 * the `awsQueryCompatible` trait): HTTP status, a body `{"__type":"com.amazonaws.sqs#<Name>",
 * "message": ...}` and the header `x-amzn-query-error: <query code>;<Sender|Receiver>`, from which
 * `@aws-sdk/client-sqs` fills `error.Code` (and picks the exception class by the `__type`).
 *
 * One table ({@link SQS_ERRORS}) holds every wire code; {@link SqsError} carries one of its keys
 * as `code`, so callers tell errors apart by `code`, never by message (STYLE 10, 11).
 */

/** One SQS error as it goes on the wire. */
export interface SqsWireError {
  /** The `__type` shape name (after `com.amazonaws.sqs#`). */
  readonly shape: string;
  /** The awsQuery error code SDKs expose as `Code` (from `x-amzn-query-error`). */
  readonly queryCode: string;
  readonly status: number;
}

/** Every error the queue service answers, keyed by its stable code (the SQS shape name). */
export const SQS_ERRORS = {
  QueueDoesNotExist: { shape: 'QueueDoesNotExist', queryCode: 'AWS.SimpleQueueService.NonExistentQueue', status: 400 },
  QueueNameExists: { shape: 'QueueNameExists', queryCode: 'QueueAlreadyExists', status: 400 },
  InvalidAttributeName: { shape: 'InvalidAttributeName', queryCode: 'InvalidAttributeName', status: 400 },
  InvalidAttributeValue: { shape: 'InvalidAttributeValue', queryCode: 'InvalidAttributeValue', status: 400 },
  InvalidParameterValue: { shape: 'InvalidParameterValueException', queryCode: 'InvalidParameterValue', status: 400 },
  MissingParameter: { shape: 'MissingRequiredParameterException', queryCode: 'MissingParameter', status: 400 },
  InvalidMessageContents: { shape: 'InvalidMessageContents', queryCode: 'InvalidMessageContents', status: 400 },
  ReceiptHandleIsInvalid: { shape: 'ReceiptHandleIsInvalid', queryCode: 'ReceiptHandleIsInvalid', status: 404 },
  MessageNotInflight: { shape: 'MessageNotInflight', queryCode: 'AWS.SimpleQueueService.MessageNotInflight', status: 400 },
  EmptyBatchRequest: { shape: 'EmptyBatchRequest', queryCode: 'AWS.SimpleQueueService.EmptyBatchRequest', status: 400 },
  TooManyEntriesInBatchRequest: { shape: 'TooManyEntriesInBatchRequest', queryCode: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', status: 400 },
  BatchEntryIdsNotDistinct: { shape: 'BatchEntryIdsNotDistinct', queryCode: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', status: 400 },
  InvalidBatchEntryId: { shape: 'InvalidBatchEntryId', queryCode: 'AWS.SimpleQueueService.InvalidBatchEntryId', status: 400 },
  BatchRequestTooLong: { shape: 'BatchRequestTooLong', queryCode: 'AWS.SimpleQueueService.BatchRequestTooLong', status: 400 },
  PurgeQueueInProgress: { shape: 'PurgeQueueInProgress', queryCode: 'AWS.SimpleQueueService.PurgeQueueInProgress', status: 403 },
  OverLimit: { shape: 'OverLimit', queryCode: 'OverLimit', status: 403 },
  RequestThrottled: { shape: 'RequestThrottled', queryCode: 'RequestThrottled', status: 403 },
  UnsupportedOperation: { shape: 'UnsupportedOperation', queryCode: 'AWS.SimpleQueueService.UnsupportedOperation', status: 400 },
  InvalidAction: { shape: 'UnknownOperationException', queryCode: 'InvalidAction', status: 400 },
  InternalError: { shape: 'InternalError', queryCode: 'InternalError', status: 500 },
} as const satisfies Record<string, SqsWireError>;

/** One of the keys of {@link SQS_ERRORS}. */
export type SqsErrorCode = keyof typeof SQS_ERRORS;

/** A refusal or failure of the queue service; `code` names its row in {@link SQS_ERRORS}. */
export class SqsError extends Error {
  override readonly name = 'SqsError';
  readonly code: SqsErrorCode;
  /** The queue concerned, when there is one. */
  readonly queue: string | undefined;

  constructor(code: SqsErrorCode, message: string, options: { queue?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.queue = options.queue;
  }

  get wire(): SqsWireError {
    return SQS_ERRORS[this.code];
  }

  /** `Sender` for 4xx, `Receiver` for 5xx, as the query-compatible header spells the fault. */
  get fault(): 'Sender' | 'Receiver' {
    return this.wire.status >= 500 ? 'Receiver' : 'Sender';
  }
}

/** True for an {@link SqsError} (by name and code, not `instanceof`). */
export function isSqsError(err: unknown, code?: SqsErrorCode): err is SqsError {
  const e = err as { name?: unknown; code?: unknown } | null;
  return e?.name === 'SqsError' && typeof e.code === 'string' && e.code in SQS_ERRORS && (code === undefined || e.code === code);
}

/** SQS's words for a missing queue. */
export const queueDoesNotExist = (queue?: string): SqsError =>
  new SqsError('QueueDoesNotExist', 'The specified queue does not exist.', queue === undefined ? {} : { queue });

/** A parameter outside its range or of the wrong type. */
export const invalidParameter = (message: string): SqsError => new SqsError('InvalidParameterValue', message);

/** A required parameter is absent. */
export const missingParameter = (name: string): SqsError =>
  new SqsError('MissingParameter', `The request must contain the parameter ${name}.`);
