// Response streaming on the wire (issue 17): `invoke-chunk` frames node -> coordinator carry the
// bytes of a streamed response, `invoke` asks for a stream with `stream.maxBytes`, `invoke-result`
// says `streamed` and the content type. The validators take what a node and a coordinator send and
// refuse what breaks the bounds; the msgpack codec keeps the bytes as bytes.
import t, { type Test } from 'tap';
import { msgpackCodec } from './codec.js';
import { DEFAULT_MAX_FRAME_BYTES, DEFAULT_STREAM_RESPONSE_LIMIT_BYTES } from './limits.js';
import { MAX_STREAM_CHUNK_BYTES, type Invoke, type InvokeChunk, type InvokeResult } from './messages.js';
import { parseCoordinatorFrame, parseZoneFrame, validateCoordinatorMessage, validateZoneMessage } from './validate.js';

/** A valid invoke-chunk with `overrides`; an override of `undefined` removes the field. */
function chunk(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const message: Record<string, unknown> = {
    type: 'invoke-chunk',
    invocationId: 'inv-1',
    data: new TextEncoder().encode('hello'),
    contentType: 'text/plain; charset=utf-8',
    ...overrides,
  };
  for (const [k, v] of Object.entries(message)) if (v === undefined) delete message[k];
  return message;
}

/** A valid invoke that asks for a stream, with `overrides`. */
function invoke(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const message: Invoke = {
    type: 'invoke',
    invocationId: 'inv-1',
    requestId: 'req-1',
    fn: {
      specKey: 'streamer:$LATEST:1',
      functionName: 'streamer',
      version: '$LATEST',
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:streamer',
      codeSha256Hex: 'a'.repeat(64),
      handler: 'index.handler',
      runtime: 'nodejs20.x',
      memoryMb: 128,
      timeoutSec: 3,
      architecture: 'x86_64',
      environment: {},
      region: 'us-east-1',
    },
    payload: new TextEncoder().encode('{}'),
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:streamer',
    logTail: false,
    acceptBy: 1_700_000_000_000,
    stream: { maxBytes: DEFAULT_STREAM_RESPONSE_LIMIT_BYTES },
  };
  return { ...message, ...overrides };
}

/** A valid streamed invoke-result with `overrides`. */
function result(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const message: InvokeResult = {
    type: 'invoke-result',
    invocationId: 'inv-1',
    outcome: 'success',
    placement: { zone: 'az-a', nodeId: 'n-1', environmentId: 'env-1', cold: false },
    timings: { receivedAt: 1, startedAt: 2, endedAt: 3, durationMs: 1, billedMs: 1, memorySizeMb: 128, maxMemoryUsedMb: 40 },
    environmentKept: true,
    streamed: true,
    contentType: 'text/plain',
  };
  return { ...message, ...overrides };
}

function refusedZone(t: Test, value: unknown, field: RegExp, name: string): void {
  const parsed = validateZoneMessage(value);
  t.equal(parsed.ok, false, name);
  if (!parsed.ok) {
    t.equal(parsed.code, 'INVALID_MESSAGE', `${name}: an invalid message`);
    t.match(parsed.reason, field, `${name}: the reason names the field`);
  }
}

t.test('a valid invoke-chunk is a zone message', async (t) => {
  for (const [name, value] of [
    ['with a content type', chunk()],
    ['without one (a later chunk)', chunk({ contentType: undefined })],
    ['empty data', chunk({ data: new Uint8Array(0) })],
    ['data of exactly MAX_STREAM_CHUNK_BYTES', chunk({ data: new Uint8Array(MAX_STREAM_CHUNK_BYTES) })],
    ['a Buffer (what msgpackr decodes to)', chunk({ data: Buffer.from('x') })],
    ['a content type of 256 characters', chunk({ contentType: 'x'.repeat(256) })],
  ] as const) {
    const parsed = validateZoneMessage(value);
    t.ok(parsed.ok, name);
    if (parsed.ok) t.equal(parsed.message.type, 'invoke-chunk');
  }
});

t.test('invoke-chunk goes node -> coordinator only', async (t) => {
  const parsed = validateCoordinatorMessage(chunk());
  t.equal(parsed.ok, false);
  if (!parsed.ok) t.match(parsed.reason, /unknown message type "invoke-chunk"/);
});

t.test('an invoke-chunk past the bounds is refused, naming the field', async (t) => {
  refusedZone(t, chunk({ data: new Uint8Array(MAX_STREAM_CHUNK_BYTES + 1) }), /invoke-chunk \/data/, 'data one byte over MAX_STREAM_CHUNK_BYTES');
  refusedZone(t, chunk({ invocationId: undefined }), /invoke-chunk \/invocationId/, 'no invocationId');
  refusedZone(t, chunk({ invocationId: '' }), /invoke-chunk \/invocationId/, 'an empty invocationId');
  refusedZone(t, chunk({ invocationId: 'i'.repeat(129) }), /invoke-chunk \/invocationId/, 'an invocationId over 128 characters');
  refusedZone(t, chunk({ contentType: 'x'.repeat(257) }), /invoke-chunk \/contentType/, 'a content type over 256 characters');
  refusedZone(t, chunk({ contentType: 7 }), /invoke-chunk \/contentType/, 'a content type that is not a string');
  refusedZone(t, chunk({ data: 'hello' }), /invoke-chunk \/data/, 'data as a string');
  refusedZone(t, chunk({ data: [104, 105] }), /invoke-chunk \/data/, 'data as an array of numbers');
  refusedZone(t, chunk({ data: undefined }), /invoke-chunk \/data/, 'no data');
});

t.test('an invoke with stream: {maxBytes} is a coordinator message; a bad stream is refused', async (t) => {
  const withStream = validateCoordinatorMessage(invoke());
  t.ok(withStream.ok, 'stream: {maxBytes}');
  if (withStream.ok && withStream.message.type === 'invoke') t.same(withStream.message.stream, { maxBytes: DEFAULT_STREAM_RESPONSE_LIMIT_BYTES });
  const { stream: _stream, ...buffered } = invoke();
  t.ok(validateCoordinatorMessage(buffered).ok, 'no stream: a buffered invoke, as before');
  t.ok(validateCoordinatorMessage(invoke({ stream: { maxBytes: 1 } })).ok, 'maxBytes 1');
  t.ok(validateCoordinatorMessage(invoke({ stream: { maxBytes: 2 ** 40 } })).ok, 'maxBytes 2^40');
  for (const [name, stream] of [
    ['maxBytes 0', { maxBytes: 0 }],
    ['maxBytes negative', { maxBytes: -1 }],
    ['maxBytes not an integer', { maxBytes: 1.5 }],
    ['maxBytes over 2^40', { maxBytes: 2 ** 40 + 1 }],
    ['maxBytes missing', {}],
    ['maxBytes a string', { maxBytes: '1024' }],
    ['stream not an object', true],
  ] as const) {
    const parsed = validateCoordinatorMessage(invoke({ stream }));
    t.equal(parsed.ok, false, name);
    if (!parsed.ok) t.match(parsed.reason, /invoke \/stream/, `${name}: names stream`);
  }
});

t.test('an invoke-result says streamed and its content type, bounded', async (t) => {
  t.ok(validateZoneMessage(result()).ok, 'streamed with a content type');
  const { streamed: _s, contentType: _c, ...plain } = result();
  t.ok(validateZoneMessage(plain).ok, 'neither: a buffered result, as before');
  refusedZone(t, result({ contentType: 'x'.repeat(257) }), /invoke-result \/contentType/, 'a content type over 256 characters');
  refusedZone(t, result({ streamed: 'yes' }), /invoke-result \/streamed/, 'streamed not a boolean');
});

t.test('the msgpack codec keeps an invoke-chunk intact, its data a Uint8Array', async (t) => {
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  const sent: InvokeChunk = { type: 'invoke-chunk', invocationId: 'inv-1', data: bytes, contentType: 'application/octet-stream' };
  const decoded = msgpackCodec.decode(msgpackCodec.encode(sent)) as InvokeChunk;
  t.ok(decoded.data instanceof Uint8Array, 'data is a Uint8Array after decoding');
  t.same(Buffer.from(decoded.data), Buffer.from(bytes), 'every byte value kept');
  t.equal(decoded.contentType, 'application/octet-stream');

  const parsed = parseZoneFrame(msgpackCodec, msgpackCodec.encode(sent));
  t.ok(parsed.ok, 'the decoded frame validates');
  if (parsed.ok && parsed.message.type === 'invoke-chunk') {
    t.ok(parsed.message.data instanceof Uint8Array);
    t.same(Buffer.from(parsed.message.data), Buffer.from(bytes));
    t.equal(parsed.message.invocationId, 'inv-1');
  }

  // A node cuts big writes into chunks: views into a larger buffer carry only their own bytes.
  const big = Uint8Array.from({ length: 64 }, (_, i) => 200 - i);
  const view = big.subarray(10, 20);
  const cut = parseZoneFrame(msgpackCodec, msgpackCodec.encode({ type: 'invoke-chunk', invocationId: 'inv-3', data: view }));
  t.ok(cut.ok);
  if (cut.ok && cut.message.type === 'invoke-chunk') t.same(Buffer.from(cut.message.data), Buffer.from(big.slice(10, 20)), 'a subarray: its 10 bytes only');

  const empty = parseZoneFrame(msgpackCodec, msgpackCodec.encode({ type: 'invoke-chunk', invocationId: 'inv-2', data: new Uint8Array(0) }));
  t.ok(empty.ok, 'empty data survives as bytes');
  if (empty.ok && empty.message.type === 'invoke-chunk') {
    t.ok(empty.message.data instanceof Uint8Array);
    t.equal(empty.message.data.byteLength, 0);
    t.notOk('contentType' in empty.message, 'no content type appears');
  }
});

t.test('the largest chunk fits in a frame and round-trips; one byte more is refused after decoding', async (t) => {
  const data = new Uint8Array(MAX_STREAM_CHUNK_BYTES);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
  const frame = msgpackCodec.encode({ type: 'invoke-chunk', invocationId: 'i'.repeat(128), data, contentType: 'x'.repeat(256) });
  t.ok(frame.byteLength <= DEFAULT_MAX_FRAME_BYTES, `${frame.byteLength} bytes within the frame limit`);
  const parsed = parseZoneFrame(msgpackCodec, frame);
  t.ok(parsed.ok);
  if (parsed.ok && parsed.message.type === 'invoke-chunk') t.same(Buffer.from(parsed.message.data), Buffer.from(data));
  const over = parseZoneFrame(msgpackCodec, msgpackCodec.encode({ type: 'invoke-chunk', invocationId: 'i1', data: new Uint8Array(MAX_STREAM_CHUNK_BYTES + 1) }));
  t.equal(over.ok, false);
  if (!over.ok) t.equal(over.code, 'INVALID_MESSAGE');
});

t.test('an invoke with stream round-trips through the codec to the node', async (t) => {
  const parsed = parseCoordinatorFrame(msgpackCodec, msgpackCodec.encode(invoke({ stream: { maxBytes: 64 * 1024 } })));
  t.ok(parsed.ok);
  if (parsed.ok && parsed.message.type === 'invoke') {
    t.same(parsed.message.stream, { maxBytes: 64 * 1024 });
    t.ok(parsed.message.payload instanceof Uint8Array);
  }
});
