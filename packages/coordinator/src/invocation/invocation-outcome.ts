import type { LedgerInvocationType } from '@zonesim/ledger';
import type { FunctionError, FunctionSpec, InvokeResult } from '@zonesim/protocol';
import type { LambdaApiError } from '../errors.js';
import type { FunctionRecord, FunctionVersionView } from '../registry/function-record.js';
import type { ResponseStreamRequest } from '../router/router.js';

/** What one request resolved to: the function, the version that runs (an alias drew once), its spec. */
export interface InvocationTarget {
  record: FunctionRecord;
  view: FunctionVersionView;
  spec: FunctionSpec;
}

/** One attempt to run, as each entry point (Invoke API, async dispatcher, triggers) describes it. */
export interface InvocationRequest {
  /** The ledger's request id (an async event's id on each of its attempts). @default a new uuid from the entropy */
  requestId?: string | undefined;
  /** The entry point, as the ledger records it. */
  invocationType: LedgerInvocationType;
  functionName: string;
  /** Version or alias as the caller named it; absent = `$LATEST`. An alias is recorded in the ledger. */
  qualifier?: string | undefined;
  /**
   * What this request already resolved (the Invoke API resolves before it reads the payload as
   * JSON): the attempt then runs that version instead of resolving (and drawing alias weights) again.
   */
  target?: InvocationTarget | undefined;
  payload: Uint8Array;
  /** Return the last 4 KB of the log (`X-Amz-Log-Type: Tail`). @default false */
  logTail?: boolean | undefined;
  /** The decoded `X-Amz-Client-Context` (sync invokes only). */
  clientContext?: string | undefined;
  /** The ledger's `attempt`. @default 1 */
  attempt?: number | undefined;
  /** When the request reached the platform (epoch ms). @default the clock's now when the attempt starts */
  receivedAt?: number | undefined;
  /** When it started waiting (an async event's acceptance, an SQS batch's oldest message); capped at `receivedAt`. */
  queuedAt?: number | undefined;
  /** An earlier attempt may have run (the ledger's `duplicate`). */
  duplicate?: boolean | undefined;
  /**
   * The caller reads the response as a stream (InvokeWithResponseStream, a `RESPONSE_STREAM`
   * URL): a streaming handler's bytes reach it as they are written, and the outcome's result says
   * `streamed` (no payload then). A handler that does not stream answers with a payload as usual.
   */
  stream?: ResponseStreamRequest | undefined;
}

/**
 * What one attempt came to, for every entry point to map to its own answer. Every attempt that got
 * past resolution has exactly one ledger record by the time the outcome is returned.
 */
export type InvocationOutcome =
  | {
      kind: 'success';
      requestId: string;
      target: InvocationTarget;
      result: InvokeResult;
      /** The handler's JSON result (`null` when it returned nothing). */
      payload: Buffer;
    }
  | {
      /** The handler threw, timed out or crashed: Lambda's function error (200 + `X-Amz-Function-Error`). */
      kind: 'function-error';
      requestId: string;
      target: InvocationTarget;
      result: InvokeResult;
      /** The runtime's error (`Runtime.Unknown` when the node gave none). */
      functionError: FunctionError;
    }
  | {
      /** Lambda's 429: nothing ran. */
      kind: 'throttled';
      requestId: string;
      target: InvocationTarget;
      error: LambdaApiError;
      /** Lambda's `Reason`. */
      reason: string;
      /** False when retrying an async event cannot help (reserved concurrency 0). */
      retryable: boolean;
    }
  | {
      /** The function, version or alias is missing (404) or not Active (409): nothing was taken or recorded. */
      kind: 'platform-error';
      stage: 'resolve';
      requestId: string;
      error: LambdaApiError;
      mayHaveRun: false;
    }
  | {
      /** The platform failed it after concurrency was taken (recorded): a lost zone, code unavailable... */
      kind: 'platform-error';
      stage: 'route';
      requestId: string;
      target: InvocationTarget;
      error: LambdaApiError;
      /** A zone node had accepted it and was lost: the function may have run. */
      mayHaveRun: boolean;
    };
