import type { Clock } from '@zonesim/common';
import { DEFAULT_STREAM_RESPONSE_LIMIT_BYTES, MAX_LOG_TAIL_BYTES, MAX_SYNC_PAYLOAD_BYTES, type InvokeResult } from '@zonesim/protocol';
import { invalidParameter, invalidRequestContent, validationError } from '../errors.js';
import { asyncSettingsOf, type AsyncInvocations } from '../async-invocations.js';
import { parseFunctionRef, type FunctionRef } from '../registry/function-name.js';
import type { ChunkListener } from '../membership/pending-invocations.js';
import type { InvocationTarget } from './invocation-outcome.js';
import type { InvocationPipeline } from './invocation-pipeline.js';

/** Lambda's async request limit since Oct 2025 (lambda-facts 1.5). */
export const MAX_ASYNC_PAYLOAD_BYTES = 1024 * 1024;
/** Lambda's cap on the base64 `X-Amz-Client-Context` header. */
export const MAX_CLIENT_CONTEXT_BYTES = 3583;

const EMPTY_EVENT = Buffer.from('{}');

/** The parts of an Invoke request the front reads before the body: the path, the query and headers. */
export interface InvokeCall {
  /** `{FunctionName}` of the path, decoded: a name, `name:qualifier`, or a full or partial ARN. */
  functionName: string;
  /** `?Qualifier=`. */
  qualifier?: string | undefined;
  /** `X-Amz-Invocation-Type`. @default 'RequestResponse' */
  invocationType?: string | undefined;
  /** `X-Amz-Log-Type`. */
  logType?: string | undefined;
  /** `X-Amz-Client-Context` (base64 JSON). */
  clientContext?: string | undefined;
}

/** An Invoke request whose head was checked: what to read next and how to run it. */
export interface ParsedInvoke {
  ref: FunctionRef;
  invocationType: 'RequestResponse' | 'Event' | 'DryRun';
  logTail: boolean;
  clientContextHeader: string | undefined;
  /** The largest body this invocation type takes (6 MB sync, 1 MB `Event`): above it, 413. */
  bodyLimit: number;
  /** When the request reached the front door (epoch ms, the ledger's `receivedAt`). */
  receivedAt: number;
}

/** The answer to send: status, Lambda's (and zonesim's `X-Zonesim-*`) headers, body. */
export interface InvokeAnswer {
  status: number;
  headers: Record<string, string | number>;
  body: Buffer;
}

/** A streamed invoke (InvokeWithResponseStream) whose request was checked and resolved. */
export interface PreparedStream {
  parsed: ParsedInvoke;
  target: InvocationTarget;
  payload: Uint8Array;
  clientContext: string | undefined;
  /** `X-Amz-Executed-Version`, known before anything runs. */
  executedVersion: string;
}

/** How a streamed invoke ended: what its `InvokeComplete` event says, and a buffered answer to send first. */
export interface StreamEnding {
  /** A handler that does not stream answered with one payload: it goes out as one chunk. */
  payload?: Buffer;
  /** The response's content type when no chunk named it (an empty stream, a buffered answer). */
  contentType?: string;
  /** The function's error type (or the platform's code) when it failed. */
  errorCode?: string;
  /** The error document, as JSON. */
  errorDetails?: string;
  /** The last 4 KB of the log, base64, for `X-Amz-Log-Type: Tail`. */
  logResult?: string;
}

/** Components of an {@link InvokeFront}. */
export interface InvokeFrontComponents {
  pipeline: InvocationPipeline;
  /** Where `Event` invokes are committed before their 202. */
  asyncInvocations: Pick<AsyncInvocations, 'accept'>;
  clock: Clock;
}

/**
 * Lambda's Invoke API as values in and out, the HTTP route's core: checks the request the way
 * Lambda does (invocation and log types, the function reference, the payload as JSON, the client
 * context), resolves the function once, then answers DryRun (204), commits an Event (202), or runs a
 * RequestResponse through the {@link InvocationPipeline} (200, even when the function failed: that
 * is `X-Amz-Function-Error`; lambda-facts 1.2). Errors are thrown as Lambda's `LambdaApiError`.
 */
export class InvokeFront {
  readonly #c: InvokeFrontComponents;
  readonly #account: { region: string; accountId: string };
  readonly #streamLimitBytes: number;

  constructor(settings: { account: { region: string; accountId: string }; streamResponseLimitBytes?: number }, components: InvokeFrontComponents) {
    this.#account = settings.account;
    this.#streamLimitBytes = settings.streamResponseLimitBytes ?? DEFAULT_STREAM_RESPONSE_LIMIT_BYTES;
    this.#c = components;
  }

  /** The most bytes a streamed response may have. */
  get streamResponseLimitBytes(): number {
    return this.#streamLimitBytes;
  }

  /** Checks the request's head (400 for a bad invocation or log type, 404 for a foreign ARN). */
  parse(call: InvokeCall): ParsedInvoke {
    const receivedAt = this.#c.clock.now();
    const invocationType = call.invocationType ?? 'RequestResponse';
    if (invocationType !== 'RequestResponse' && invocationType !== 'Event' && invocationType !== 'DryRun') {
      throw invalidParameter(`Unsupported invocation type: ${invocationType}. Use RequestResponse, Event or DryRun.`);
    }
    const logType = call.logType;
    if (logType !== undefined && logType !== 'None' && logType !== 'Tail') {
      throw validationError('logType', logType.slice(0, 100), 'Member must satisfy enum value set: [Tail, None]');
    }
    const ref = parseFunctionRef(call.functionName, call.qualifier, this.#account);
    return {
      ref,
      invocationType,
      logTail: invocationType === 'RequestResponse' && logType === 'Tail',
      clientContextHeader: call.clientContext,
      bodyLimit: invocationType === 'Event' ? MAX_ASYNC_PAYLOAD_BYTES : MAX_SYNC_PAYLOAD_BYTES,
      receivedAt,
    };
  }

  /** Runs a parsed request with its body (already read within `bodyLimit`). */
  async invoke(p: ParsedInvoke, body: Uint8Array, requestId: string): Promise<InvokeAnswer> {
    const { ref, invocationType } = p;
    const { target, payload, clientContext } = this.prepare(p, body);
    const executed = { 'x-amz-executed-version': target.spec.version };
    if (invocationType === 'DryRun') return empty(204, requestId, executed);
    if (invocationType === 'Event') {
      // 202 only once the event is committed: an accepted event survives a coordinator crash and is
      // delivered at least once, or dead-lettered with a reason (docs/failover.md).
      await this.#c.asyncInvocations.accept({
        eventId: requestId,
        functionName: ref.name,
        qualifier: ref.qualifier ?? '$LATEST',
        payload: Buffer.from(payload),
        ...asyncSettingsOf(target.record.eventInvokeConfig),
      });
      return empty(202, requestId, {});
    }
    const outcome = await this.#c.pipeline.run({
      requestId,
      invocationType: 'RequestResponse',
      functionName: ref.name,
      qualifier: ref.qualifier,
      target,
      payload,
      logTail: p.logTail,
      receivedAt: p.receivedAt,
      clientContext,
    });
    switch (outcome.kind) {
      case 'success':
        return answer(outcome.result, outcome.payload, requestId, executed);
      case 'function-error':
        return answer(outcome.result, Buffer.from(JSON.stringify(outcome.functionError)), requestId, executed);
      default:
        // Lambda answers a throttle with 429 and its Reason, a platform failure with 5xx; the caller retries.
        throw outcome.error;
    }
  }

  /** Checks a streamed invoke's head: InvokeWithResponseStream takes `RequestResponse` and `DryRun` only. */
  parseStream(call: InvokeCall): ParsedInvoke {
    const type = call.invocationType ?? 'RequestResponse';
    if (type !== 'RequestResponse' && type !== 'DryRun') {
      throw validationError('invocationType', type.slice(0, 100), 'Member must satisfy enum value set: [RequestResponse, DryRun]');
    }
    return this.parse(call);
  }

  /**
   * Checks an invoke's body (JSON, the client context) and resolves what it runs, for Invoke and
   * InvokeWithResponseStream alike. One resolution per request: a missing version or alias is a
   * 404 here, and an alias routes the request by its weights (lambda-facts 2.4).
   */
  prepare(parsed: ParsedInvoke, body: Uint8Array): PreparedStream {
    const target = this.#c.pipeline.resolve(parsed.ref.name, parsed.ref.qualifier);
    const payload = body.length === 0 ? EMPTY_EVENT : body;
    checkJson(payload);
    return { parsed, target, payload, clientContext: decodeClientContext(parsed.clientContextHeader), executedVersion: target.spec.version };
  }

  /**
   * Runs a prepared streamed invoke: a streaming handler's bytes reach `onChunk` as it writes them
   * (at most `streamResponseLimitBytes`); the ending says how it finished. A throttle or a platform
   * failure is thrown as Lambda's error (the HTTP shell turns it into an `InvokeComplete` error once
   * bytes went out).
   */
  async runStream(s: PreparedStream, requestId: string, onChunk: ChunkListener): Promise<StreamEnding> {
    const { parsed } = s;
    const outcome = await this.#c.pipeline.run({
      requestId,
      invocationType: 'RequestResponse',
      functionName: parsed.ref.name,
      qualifier: parsed.ref.qualifier,
      target: s.target,
      payload: s.payload,
      logTail: parsed.logTail,
      receivedAt: parsed.receivedAt,
      clientContext: s.clientContext,
      stream: { maxBytes: this.#streamLimitBytes, onChunk },
    });
    if (outcome.kind !== 'success' && outcome.kind !== 'function-error') throw outcome.error;
    const result = outcome.result;
    const ending: StreamEnding = {};
    if (result.logTail !== undefined) ending.logResult = lastBytes(result.logTail, MAX_LOG_TAIL_BYTES).toString('base64');
    if (result.contentType !== undefined) ending.contentType = result.contentType;
    if (outcome.kind === 'function-error') {
      ending.errorCode = outcome.functionError.errorType;
      ending.errorDetails = JSON.stringify(outcome.functionError);
    } else if (!result.streamed) {
      ending.payload = outcome.payload;
      ending.contentType ??= 'application/json';
    }
    return ending;
  }
}

function empty(status: number, requestId: string, headers: Record<string, string>): InvokeAnswer {
  return { status, headers: { 'content-length': 0, 'x-amzn-requestid': requestId, ...headers }, body: Buffer.alloc(0) };
}

function answer(result: InvokeResult, body: Buffer, requestId: string, executed: Record<string, string>): InvokeAnswer {
  const t = result.timings;
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': body.length,
    'x-amzn-requestid': requestId,
    ...executed,
    // zonesim's own headers: where and how the invocation ran (documented in docs/architecture.md).
    'x-zonesim-zone': result.placement.zone,
    'x-zonesim-node': result.placement.nodeId,
    'x-zonesim-environment': result.placement.environmentId,
    'x-zonesim-cold': String(result.placement.cold),
    'x-zonesim-duration-ms': t.durationMs.toFixed(2),
    'x-zonesim-billed-ms': t.billedMs,
    'x-zonesim-max-memory-used-mb': t.maxMemoryUsedMb,
  };
  if (t.initMs !== undefined) headers['x-zonesim-init-ms'] = t.initMs.toFixed(2);
  if (result.outcome === 'function-error') headers['x-amz-function-error'] = 'Unhandled';
  if (result.logTail !== undefined) headers['x-amz-log-result'] = lastBytes(result.logTail, MAX_LOG_TAIL_BYTES).toString('base64');
  return { status: 200, headers, body };
}

function checkJson(payload: Uint8Array): void {
  try {
    JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch (err) {
    throw invalidRequestContent(`Could not parse request body into json: Could not parse payload into json: ${(err as Error).message}`);
  }
}

function decodeClientContext(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  if (header.length > MAX_CLIENT_CONTEXT_BYTES) {
    throw invalidParameter(`Client context must be at most ${MAX_CLIENT_CONTEXT_BYTES} bytes, base64-encoded.`);
  }
  const text = Buffer.from(header, 'base64').toString('utf8');
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) throw new Error('not an object');
  } catch {
    throw invalidParameter('Client context must be a valid Base64-encoded JSON object.');
  }
  return text;
}

function lastBytes(text: string, max: number): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= max ? bytes : bytes.subarray(bytes.length - max);
}
