import { MAX_SYNC_RESPONSE_BYTES } from '@zonesim/protocol';
import type { Ending } from './invocation-ending.js';
import { responseTooLargeError } from './platform-errors.js';

/**
 * Where a streamed response goes while its invocation runs (issue 17, response streaming): the
 * zone node turns each write into an `invoke-chunk` frame for a caller that reads a stream
 * (InvokeWithResponseStream, a `RESPONSE_STREAM` function URL).
 */
export interface ResponseStreamTarget {
  /** Most bytes the response may have; past it the invocation fails with `Function.ResponseSizeTooLarge`. */
  readonly maxBytes: number;
  /** The next bytes of the response, never empty; `contentType` comes with the first. */
  write(data: Uint8Array, contentType: string | undefined): void;
}

/**
 * A content type the wire and an HTTP head can carry (at most 256 characters of tabs, visible
 * ASCII, spaces and Latin-1), or undefined: a runtime may name anything, the caller's default
 * then applies.
 */
export function carriableContentType(contentType: string | undefined): string | undefined {
  return contentType !== undefined && contentType.length > 0 && contentType.length <= 256 && /^[\t\x20-\x7e\x80-\xff]*$/.test(contentType) ? contentType : undefined;
}

/**
 * One invocation's response as a streaming handler writes it, whatever the runtime (Node's
 * `awslambda.streamifyResponse` over IPC, the Runtime API's streaming mode): forwarded to the
 * caller's {@link ResponseStreamTarget} as it comes, or joined into one payload (at most Lambda's
 * 6 MB) when the caller did not ask for a stream. Bytes past the limit are dropped and the
 * invocation then ends as `Function.ResponseSizeTooLarge`.
 */
export class StreamedResponse {
  readonly #target: ResponseStreamTarget | undefined;
  #bytes = 0;
  #overLimit = false;
  #used = false;
  #parts: Uint8Array[] = [];
  #contentType: string | undefined;

  constructor(target: ResponseStreamTarget | undefined) {
    this.#target = target;
  }

  /** The most bytes this response may have. */
  get limit(): number {
    return this.#target?.maxBytes ?? MAX_SYNC_RESPONSE_BYTES;
  }

  /** Bytes written so far (past the limit too). */
  get bytes(): number {
    return this.#bytes;
  }

  get overLimit(): boolean {
    return this.#overLimit;
  }

  /** The handler streamed (wrote, or its runtime said its answer was a stream). */
  get used(): boolean {
    return this.#used;
  }

  /** Takes the next bytes; false once the response is past its limit (they are dropped). */
  write(data: Uint8Array, contentType?: string): boolean {
    if (!this.#used) {
      this.#used = true;
      this.#contentType = carriableContentType(contentType);
    }
    if (this.#overLimit) return false;
    this.#bytes += data.byteLength;
    if (this.#bytes > this.limit) {
      this.#overLimit = true;
      this.#parts = [];
      return false;
    }
    if (data.byteLength === 0) return true;
    if (this.#target) {
      const first = this.#bytes === data.byteLength;
      this.#target.write(data, first ? this.#contentType : undefined);
    } else this.#parts.push(data);
    return true;
  }

  /** The runtime said its answer was a stream (possibly an empty one), with this content type. */
  markStreamed(contentType?: string): void {
    if (!this.#used) this.#contentType = carriableContentType(contentType);
    this.#used = true;
  }

  /**
   * The ending of a streamed invocation, from the one its runtime's answer (or the platform) gave:
   * over the limit it is `Function.ResponseSizeTooLarge`; a success carries the joined payload when
   * nobody read a stream; either way the result says whether bytes went out as a stream.
   */
  finish(ending: Ending): Ending {
    const streamed = this.#target !== undefined;
    const common = { ...(streamed ? { streamed: true } : {}), ...(this.#contentType === undefined ? {} : { contentType: this.#contentType }) };
    if (this.#overLimit) {
      // Whatever else ended it (a runtime stopped for writing past the limit) is not the story.
      const { payload: _dropped, ...rest } = ending;
      return { ...rest, ...common, extraLines: [], outcome: 'function-error', functionError: responseTooLargeError(this.limit) };
    }
    if (ending.outcome !== 'success') return { ...ending, ...common };
    if (streamed) {
      const { payload: _none, ...rest } = ending;
      return { ...rest, ...common };
    }
    return { ...ending, ...common, payload: Buffer.concat(this.#parts, this.#bytes) };
  }
}
