import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

/** One event of an InvokeWithResponseStream answer, decoded. */
export type ResponseStreamEvent =
  | { type: 'PayloadChunk'; payload: Uint8Array }
  | { type: 'InvokeComplete'; errorCode?: string; errorDetails?: string; logResult?: string };

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/**
 * Reads an `application/vnd.amazon.eventstream` body as it arrives and yields its events, each as
 * soon as its bytes are in: every message starts with its total length (4 bytes, big-endian), so
 * whole messages are cut out of the bytes read so far and decoded with Smithy's codec (the one the
 * AWS SDKs use, CRCs checked).
 */
export async function* readResponseStream(body: AsyncIterable<Uint8Array>): AsyncGenerator<ResponseStreamEvent> {
  let buffered = Buffer.alloc(0);
  for await (const piece of body) {
    buffered = buffered.length === 0 ? Buffer.from(piece) : Buffer.concat([buffered, piece]);
    while (buffered.length >= 4) {
      const total = buffered.readUInt32BE(0);
      if (buffered.length < total) break;
      const message = codec.decode(buffered.subarray(0, total));
      buffered = buffered.subarray(total);
      const type = message.headers[':event-type']?.value;
      if (type === 'PayloadChunk') yield { type, payload: message.body };
      else if (type === 'InvokeComplete') {
        const c = JSON.parse(toUtf8(message.body)) as { ErrorCode?: string; ErrorDetails?: string; LogResult?: string };
        yield {
          type,
          ...(c.ErrorCode === undefined ? {} : { errorCode: c.ErrorCode }),
          ...(c.ErrorDetails === undefined ? {} : { errorDetails: c.ErrorDetails }),
          ...(c.LogResult === undefined ? {} : { logResult: c.LogResult }),
        };
      }
    }
  }
  if (buffered.length > 0) throw new Error(`the event stream ended inside a message (${buffered.length} bytes left)`);
}
