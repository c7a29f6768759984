import { invalidParameter, validationError } from '../errors.js';

/** A function's asynchronous invocation settings (Lambda's FunctionEventInvokeConfig). */
export interface EventInvokeConfig {
  maximumRetryAttempts?: number;
  maximumEventAgeInSeconds?: number;
  onSuccess?: string;
  onFailure?: string;
  /** Epoch ms of the last change. */
  lastModified: number;
}

const FUNCTION_ARN = /^arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(-[a-z]+)+-\d:\d{12}:function:[a-zA-Z0-9-_]{1,64}(:[a-zA-Z0-9$_-]{1,128})?$/;
/** A queue of the built-in queue service (issue 7); whether it exists is checked at delivery. */
const QUEUE_ARN = /^arn:aws[a-zA-Z-]*:sqs:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,80}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function destination(field: string, raw: unknown): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) throw invalidParameter(`${field} must be an object with a Destination.`);
  const arn = raw['Destination'];
  if (arn === undefined || arn === null) return undefined;
  if (typeof arn !== 'string') throw invalidParameter(`${field}.Destination must be an ARN.`);
  if (!FUNCTION_ARN.test(arn) && !QUEUE_ARN.test(arn)) {
    // Topics, event buses and buckets are not built.
    throw invalidParameter(`The destination ARN ${arn} is not supported. zonesim supports Lambda function and SQS queue ARNs as destinations.`);
  }
  return arn;
}

/**
 * Validates a Put/UpdateFunctionEventInvokeConfig body with Lambda's ranges (retries 0-2, age
 * 60-21600 s). `base` is the current config for Update (merge) and undefined for Put (replace).
 */
export function parseEventInvokeConfig(body: unknown, base: EventInvokeConfig | undefined, now: number): EventInvokeConfig {
  if (!isObject(body)) throw invalidParameter('The request body must be a JSON object.');
  const out: EventInvokeConfig = { ...(base ?? {}), lastModified: now };
  const retries = body['MaximumRetryAttempts'];
  if (retries !== undefined) {
    if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0 || retries > 2) {
      throw validationError('maximumRetryAttempts', retries, 'Member must have value between 0 and 2');
    }
    out.maximumRetryAttempts = retries;
  }
  const age = body['MaximumEventAgeInSeconds'];
  if (age !== undefined) {
    if (typeof age !== 'number' || !Number.isInteger(age) || age < 60 || age > 21600) {
      throw validationError('maximumEventAgeInSeconds', age, 'Member must have value between 60 and 21600');
    }
    out.maximumEventAgeInSeconds = age;
  }
  const dest = body['DestinationConfig'];
  if (dest !== undefined) {
    if (!isObject(dest)) throw invalidParameter('DestinationConfig must be an object.');
    if ('OnSuccess' in dest) {
      const v = destination('OnSuccess', dest['OnSuccess']);
      if (v === undefined) delete out.onSuccess;
      else out.onSuccess = v;
    }
    if ('OnFailure' in dest) {
      const v = destination('OnFailure', dest['OnFailure']);
      if (v === undefined) delete out.onFailure;
      else out.onFailure = v;
    }
  }
  return out;
}

/** Lambda's FunctionEventInvokeConfig response shape. */
export function toEventInvokeConfigResponse(functionArn: string, c: EventInvokeConfig): Record<string, unknown> {
  return {
    // A timestamp: the SDK reads epoch seconds.
    LastModified: c.lastModified / 1000,
    FunctionArn: functionArn,
    ...(c.maximumRetryAttempts === undefined ? {} : { MaximumRetryAttempts: c.maximumRetryAttempts }),
    ...(c.maximumEventAgeInSeconds === undefined ? {} : { MaximumEventAgeInSeconds: c.maximumEventAgeInSeconds }),
    DestinationConfig: {
      OnSuccess: c.onSuccess ? { Destination: c.onSuccess } : {},
      OnFailure: c.onFailure ? { Destination: c.onFailure } : {},
    },
  };
}
