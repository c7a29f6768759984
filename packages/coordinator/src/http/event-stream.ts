import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

/**
 * The `application/vnd.amazon.eventstream` messages of InvokeWithResponseStream, as the AWS SDKs
 * read them: `PayloadChunk` events carry the response's bytes, one `InvokeComplete` event ends the
 * stream (with the function's error, if any, and the log tail). The binary framing (prelude,
 * headers, CRC32s) is Smithy's own codec, the one the SDK decodes with.
 */
const codec = new EventStreamCodec(toUtf8, fromUtf8);


/** `InvokeComplete`'s fields (Lambda's `InvokeWithResponseStreamCompleteEvent`). */
export interface InvokeComplete {
  /** The function's error type, or the platform's error code, when the invocation failed. */
  ErrorCode?: string;
  /** The error's details (the function's error document as JSON). */
  ErrorDetails?: string;
  /** The last 4 KB of the log, base64, when the caller asked for `Tail`. */
  LogResult?: string;
}

function event(type: string, contentType: string, body: Uint8Array): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: type },
      ':message-type': { type: 'string', value: 'event' },
      ':content-type': { type: 'string', value: contentType },
    },
    body,
  });
}

/** One `PayloadChunk` event with these bytes of the response. */
export function payloadChunkEvent(data: Uint8Array): Uint8Array {
  return event('PayloadChunk', 'application/octet-stream', data);
}

/** The `InvokeComplete` event that ends the stream. */
export function invokeCompleteEvent(complete: InvokeComplete): Uint8Array {
  return event('InvokeComplete', 'application/json', fromUtf8(JSON.stringify(complete)));
}
