import { isSendableHeaderName, isSendableHeaderValue, sendableContentType } from '../http/header-values.js';

/** A streaming handler's content type for a response with a status and headers (`awslambda.HttpResponseStream`). */
export const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
/** The prelude ends with 8 NUL bytes. */
const DELIMITER_BYTES = 8;
/** Most bytes of a prelude (JSON of a status, headers and cookies) zonesim buffers before it gives up with a 502. */
export const MAX_PRELUDE_BYTES = 64 * 1024;

/** The HTTP side of a `RESPONSE_STREAM` function URL: where the response goes as the function writes it. */
export interface UrlStreamOut {
  /** Sends the status and headers; called once, before any `write`. */
  head(status: number, headers: Array<[string, string]>): void;
  /** Sends bytes of the body as they come. */
  write(data: Uint8Array): void;
}

/**
 * Turns a streaming handler's bytes into a function URL's streamed HTTP answer (core code: no
 * sockets). With `HttpResponseStream`'s content type the stream starts with a JSON prelude
 * (`statusCode`, `headers`, `cookies`) and 8 NUL bytes: the prelude becomes the status and headers,
 * what follows the body. Any other content type is a 200 with that type. The head goes out with
 * the first body bytes (or at the end), so a prelude split across chunks is waited for.
 */
export class UrlResponseStream {
  readonly #out: UrlStreamOut;
  readonly #extraHeaders: Array<[string, string]>;
  #contentType: string | undefined;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #started = false;
  #broken = false;

  /** `extraHeaders`: added to every head (the URL's CORS headers). */
  constructor(out: UrlStreamOut, extraHeaders: Array<[string, string]>) {
    this.#out = out;
    this.#extraHeaders = extraHeaders;
  }

  /** The head went out: an error now can only cut the body short. */
  get started(): boolean {
    return this.#started;
  }

  /** The prelude could not be read (too long, not JSON, no status): the answer is Lambda's 502. */
  get broken(): boolean {
    return this.#broken;
  }

  /** The next bytes of the function's response; the content type comes with the first. */
  chunk(data: Uint8Array, contentType: string | undefined): void {
    if (this.#broken) return;
    if (this.#contentType === undefined) this.#contentType = sendableContentType(contentType);
    if (this.#started) {
      if (data.byteLength > 0) this.#out.write(data);
      return;
    }
    if (!this.#isIntegration()) {
      this.#start(200, []);
      if (data.byteLength > 0) this.#out.write(data);
      return;
    }
    this.#pending.push(data);
    this.#pendingBytes += data.byteLength;
    const buffered = Buffer.concat(this.#pending, this.#pendingBytes);
    const at = delimiterAt(buffered);
    if (at < 0) {
      if (this.#pendingBytes > MAX_PRELUDE_BYTES + DELIMITER_BYTES) this.#broken = true;
      return;
    }
    this.#pending = [];
    this.#pendingBytes = 0;
    // The bound holds however the bytes were cut into chunks.
    if (at > MAX_PRELUDE_BYTES) {
      this.#broken = true;
      return;
    }
    this.#fromPrelude(buffered.subarray(0, at));
    const body = buffered.subarray(at + DELIMITER_BYTES);
    if (this.#started && body.byteLength > 0) this.#out.write(body);
  }

  /**
   * The stream ended: a head that did not go out yet goes now (an empty body; a prelude without
   * its delimiter is read as the whole prelude, as an `end()` right after `from()` leaves it).
   */
  end(contentType: string | undefined): void {
    if (this.#broken || this.#started) return;
    if (this.#contentType === undefined) this.#contentType = sendableContentType(contentType);
    if (this.#isIntegration() && this.#pendingBytes > 0) {
      this.#fromPrelude(Buffer.concat(this.#pending, this.#pendingBytes));
      return;
    }
    this.#start(200, []);
  }

  #isIntegration(): boolean {
    return this.#contentType?.split(';')[0]?.trim().toLowerCase() === HTTP_INTEGRATION_CONTENT_TYPE;
  }

  #start(status: number, headers: Array<[string, string]>): void {
    this.#started = true;
    const all: Array<[string, string]> = [...headers];
    if (!all.some(([k]) => k === 'content-type') && !this.#isIntegration()) all.push(['content-type', this.#contentType ?? 'application/octet-stream']);
    this.#out.head(status, [...all, ...this.#extraHeaders]);
  }

  #fromPrelude(bytes: Buffer): void {
    let prelude: unknown;
    try {
      prelude = JSON.parse(bytes.toString('utf8'));
    } catch {
      this.#broken = true;
      return;
    }
    if (typeof prelude !== 'object' || prelude === null || Array.isArray(prelude)) {
      this.#broken = true;
      return;
    }
    const p = prelude as Record<string, unknown>;
    const status = p['statusCode'] === undefined ? 200 : Number(p['statusCode']);
    if (!Number.isInteger(status) || status < 100 || status > 599) {
      this.#broken = true;
      return;
    }
    const headers: Array<[string, string]> = [];
    const h = p['headers'];
    if (typeof h === 'object' && h !== null) {
      for (const [k, v] of Object.entries(h as Record<string, unknown>)) {
        // A header Node cannot send is left out (writeHead would throw on it).
        if (v !== undefined && v !== null && isSendableHeaderName(k) && isSendableHeaderValue(String(v))) headers.push([k.toLowerCase(), String(v)]);
      }
    }
    if (Array.isArray(p['cookies'])) for (const c of p['cookies']) if (isSendableHeaderValue(String(c))) headers.push(['set-cookie', String(c)]);
    this.#start(status, headers);
  }
}

/** Where the 8 NUL bytes that end a prelude start, or -1. */
function delimiterAt(bytes: Buffer): number {
  let run = 0;
  for (let i = 0; i < bytes.length; i++) {
    run = bytes[i] === 0 ? run + 1 : 0;
    if (run === DELIMITER_BYTES) return i - DELIMITER_BYTES + 1;
  }
  return -1;
}
