// Response streaming as Lambda's Node.js runtime offers it (RIC src/UserFunction.js,
// src/ResponseStream.js, src/HttpResponseStream.js): the global `awslambda.streamifyResponse`
// marks a handler, which is then called as handler(event, responseStream, context) and writes its
// response as it goes. Here each write travels to the zone node on the runtime's channel as a
// `chunk` message (the RIC posts them to the Runtime API as one chunked request); the zone node
// forwards them to a caller that reads a stream, or joins them for one that does not.
import { Writable } from 'node:stream';
import { InvalidStreamingOperation, MalformedStreamingHandler } from './errors.mjs';

const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HANDLER_HIGHWATERMARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const STREAM_RESPONSE = 'response';
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
/** HttpResponseStream's content type: a JSON prelude (status, headers, cookies), 8 NUL bytes, the body. */
const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const PRELUDE_DELIMITER_BYTES = 8;

/** `awslambda.HttpResponseStream`, for function URLs: the status and headers ride before the body. */
class HttpResponseStream {
  static from(underlyingStream, prelude) {
    underlyingStream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
    const metadataPrelude = JSON.stringify(prelude);
    underlyingStream._onBeforeFirstWrite = (write) => {
      write(metadataPrelude);
      write(new Uint8Array(PRELUDE_DELIMITER_BYTES));
    };
    return underlyingStream;
  }
}

/** Sets the global `awslambda` the way Lambda's runtime does before it loads the handler's module. */
export function installAwsLambdaGlobal() {
  if (process.env['AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA'] !== undefined) return;
  globalThis.awslambda = {
    streamifyResponse: (handler, options) => {
      handler[HANDLER_STREAMING] = STREAM_RESPONSE;
      if (typeof options?.highWaterMark === 'number') handler[HANDLER_HIGHWATERMARK] = parseInt(options.highWaterMark);
      return handler;
    },
    HttpResponseStream,
  };
}

/**
 * The handler's streaming mode: `undefined` for an ordinary handler, `{ highWaterMark }` for a
 * streaming one. Throws Runtime.MalformedStreamingHandler for any other mark (an INIT error, as in the RIC).
 */
export function streamingOf(handler) {
  const mark = handler[HANDLER_STREAMING];
  if (mark === undefined || mark === null || mark === false) return undefined;
  if (mark !== STREAM_RESPONSE) throw new MalformedStreamingHandler('Only response streaming is supported.');
  const hwm = parseInt(handler[HANDLER_HIGHWATERMARK]);
  return { highWaterMark: Number.isNaN(hwm) ? undefined : hwm };
}

/**
 * One invocation's response stream. `send(data, contentType?)` carries each write to the host (the
 * content type with the first); the stream the handler sees is Writable-only, as in the RIC.
 * @param {{ send: (data: Uint8Array, contentType?: string) => void, highWaterMark?: number }} options
 */
export function createResponseStream({ send, highWaterMark }) {
  let contentType = DEFAULT_CONTENT_TYPE;
  let started = false;
  const forward = (chunk) => {
    const data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (data.byteLength === 0 && started) return;
    send(data, started ? undefined : contentType);
    started = true;
  };
  const inner = new Writable({
    ...(highWaterMark === undefined ? {} : { highWaterMark }),
    write(chunk, _encoding, callback) {
      forward(chunk);
      callback();
    },
    final(callback) {
      // An empty response still names its content type.
      if (!started) forward(new Uint8Array(0));
      callback();
    },
  });
  let beforeFirstWriteDone = false;
  const beforeFirstWrite = () => {
    if (beforeFirstWriteDone) return;
    beforeFirstWriteDone = true;
    // HttpResponseStream's prelude goes first, also before an end() without a body.
    if (typeof inner._onBeforeFirstWrite === 'function') inner._onBeforeFirstWrite((c) => Writable.prototype.write.call(inner, c));
  };
  const write = (chunk, encoding, callback) => {
    // The RIC writes anything that is not bytes or text as JSON.
    if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) chunk = JSON.stringify(chunk);
    beforeFirstWrite();
    return Writable.prototype.write.call(inner, chunk, encoding, callback);
  };
  const end = (chunk, encoding, callback) => {
    if (typeof chunk === 'function') return end(undefined, undefined, chunk);
    if (typeof encoding === 'function') return end(chunk, undefined, encoding);
    if (chunk !== undefined && chunk !== null && !inner.writableEnded) write(chunk, encoding);
    if (!inner.writableEnded) beforeFirstWrite();
    return Writable.prototype.end.call(inner, callback);
  };
  inner.write = write;
  inner.end = end;
  inner.setContentType = (type) => {
    if (beforeFirstWriteDone || started) throw new InvalidStreamingOperation('Cannot set content-type, too late.');
    contentType = String(type);
  };
  return {
    stream: writableOnly(inner),
    inner,
    /** The content type, for a response that ended without a byte. */
    get contentType() {
      return contentType;
    },
    /** Resolves when the handler ended the stream (every write handed over), or it was destroyed. */
    finished: new Promise((resolve) => {
      inner.once('finish', () => resolve(true));
      inner.once('close', () => resolve(inner.writableFinished));
    }),
  };
}

/** What the handler may touch: the Writable's methods and state, bound to the real stream (RIC writableStreamOnly). */
function writableOnly(inner) {
  const methods = ['cork', 'destroy', 'end', 'uncork', 'write', 'addListener', 'emit', 'eventNames', 'getMaxListeners', 'listenerCount', 'listeners', 'off', 'on', 'once', 'prependListener', 'prependOnceListener', 'rawListeners', 'removeAllListeners', 'removeListener', 'setMaxListeners', 'setContentType'];
  const stream = Object.fromEntries(methods.map((name) => [name, inner[name].bind(inner)]));
  for (const prop of ['destroyed', 'writable', '_onBeforeFirstWrite']) {
    Object.defineProperty(stream, prop, { get: () => inner[prop], set: (v) => (inner[prop] = v), enumerable: true });
  }
  for (const prop of ['writableFinished', 'writableObjectMode', 'writableBuffer', 'writableEnded', 'writableNeedDrain', 'writableHighWaterMark', 'writableCorked', 'writableLength']) {
    Object.defineProperty(stream, prop, { get: () => inner[prop], enumerable: true });
  }
  return stream;
}
