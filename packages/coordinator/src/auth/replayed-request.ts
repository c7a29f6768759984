import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

/** What a replayed body is streamed in: the size of a socket read. */
const REPLAY_SLICE_BYTES = 64 * 1024;

/** A body already read whole (see `receiveBody`), with its digest when it was hashed. */
export interface ReplayedBody {
  readonly bytes: Buffer;
  readonly sha256Hex?: string;
}

/**
 * A request whose body was already read (to check its signature) and is served again, so the
 * routes read it with the same code as an untouched request. It carries what the routes look at:
 * `method`, `url`, `headers` (Content-Length included, so a route's size check still answers
 * early), `rawHeaders`, `httpVersion` and `socket`. `receiveBody` takes the bytes straight from
 * {@link replayedBody} rather than streaming and concatenating them again (a 67 MB CreateFunction
 * would otherwise be copied twice on the event loop).
 */
class ReplayedRequest extends Readable {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingMessage['headers'];
  readonly rawHeaders: string[];
  readonly httpVersion: string;
  readonly socket: IncomingMessage['socket'];
  readonly received: ReplayedBody;
  #body: Buffer | undefined;

  constructor(original: IncomingMessage, body: ReplayedBody) {
    super();
    this.method = original.method;
    this.url = original.url;
    this.headers = original.headers;
    this.rawHeaders = original.rawHeaders;
    this.httpVersion = original.httpVersion;
    this.socket = original.socket;
    this.received = body;
    this.#body = body.bytes;
  }

  /**
   * One slice per call, so that a consumer that streams the body (an image upload hashed and
   * written to disk) handles it a piece at a time, as it would the socket's chunks, instead of
   * hashing 67 MB in one event-loop turn.
   */
  override _read(): void {
    const body = this.#body;
    if (body === undefined || body.length === 0) {
      this.#body = undefined;
      this.push(null);
      return;
    }
    this.#body = body.length > REPLAY_SLICE_BYTES ? body.subarray(REPLAY_SLICE_BYTES) : undefined;
    this.push(body.subarray(0, REPLAY_SLICE_BYTES));
    if (this.#body === undefined) this.push(null);
  }
}

/**
 * Wraps `original` (whose body has been consumed) so that its body can be read once more. The
 * cast is deliberate: routes use only the stream and the fields {@link ReplayedRequest} carries.
 */
export function replayRequest(original: IncomingMessage, body: Buffer | ReplayedBody): IncomingMessage {
  return new ReplayedRequest(original, Buffer.isBuffer(body) ? { bytes: body } : body) as unknown as IncomingMessage;
}

/** The body of a request made by {@link replayRequest}; undefined for any other request. */
export function replayedBody(req: IncomingMessage): ReplayedBody | undefined {
  return req instanceof ReplayedRequest ? req.received : undefined;
}
