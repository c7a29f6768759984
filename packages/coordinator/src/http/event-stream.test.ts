// InvokeWithResponseStream's event stream as the AWS SDK reads it: each event decodes with Smithy's
// codec to the headers the SDK dispatches on, and a whole answer (several events, cut at awkward
// byte boundaries as TCP may cut it) goes through the official Lambda client's own deserialiser,
// which must yield `PayloadChunk` and `InvokeComplete` objects with the bytes and fields we encoded.
import { Readable } from 'node:stream';
import t, { type Test } from 'tap';
import { InvokeWithResponseStreamCommand, LambdaClient, type LambdaClientConfig } from '@aws-sdk/client-lambda';
import { getChunkedStream } from '@smithy/core/event-streams';
import { EventStreamCodec, MessageDecoderStream, type Message } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { invokeCompleteEvent, payloadChunkEvent } from './event-stream.js';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** Every byte value, so that a body that looks like framing (NULs, 0xff) is seen to pass as is. */
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

function header(m: Message, name: string): unknown {
  return m.headers[name]?.value;
}

function checkEvent(t: Test, m: Message, type: string, contentType: string): void {
  t.equal(header(m, ':event-type'), type, ':event-type');
  t.equal(header(m, ':message-type'), 'event', ':message-type');
  t.equal(header(m, ':content-type'), contentType, ':content-type');
  for (const name of [':event-type', ':message-type', ':content-type']) t.equal(m.headers[name]?.type, 'string', `${name} is a string header`);
  t.same(Object.keys(m.headers).sort(), [':content-type', ':event-type', ':message-type'], 'no other headers');
}

/** Cuts `bytes` at the given offsets (sorted, inside the buffer). */
function cutAt(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const at = [...new Set(offsets.filter((o) => o > 0 && o < bytes.length))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const o of [...at, bytes.length]) {
    pieces.push(bytes.slice(from, o));
    from = o;
  }
  return pieces;
}

/** A small seeded generator (mulberry32), so that a failing split replays exactly. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** The ways TCP may cut a stream of events whose messages start at `starts`. */
function splits(bytes: Uint8Array, starts: number[]): Array<{ name: string; pieces: Uint8Array[] }> {
  const everyByte = Array.from({ length: bytes.length }, (_, i) => i);
  // Inside each message's prelude (total length 0-3, headers length 4-7, prelude CRC 8-11), at the
  // first header, and on both sides of each message boundary.
  const awkward = starts.flatMap((s) => [s - 1, s, s + 1, s + 2, s + 4, s + 7, s + 8, s + 11, s + 12, s + 13]);
  const random = seeded(17);
  const randomCuts = Array.from({ length: 40 }, () => Math.floor(random() * bytes.length));
  return [
    { name: 'one piece', pieces: [bytes.slice()] },
    { name: 'one byte at a time', pieces: cutAt(bytes, everyByte) },
    { name: 'at message boundaries', pieces: cutAt(bytes, starts) },
    { name: 'inside preludes and around boundaries', pieces: cutAt(bytes, awkward) },
    { name: 'at seeded random offsets', pieces: cutAt(bytes, randomCuts) },
    { name: 'the last 4 bytes (message CRC) apart', pieces: cutAt(bytes, [bytes.length - 4, bytes.length - 2]) },
  ];
}

/** The encoded events one after the other, and where each starts. */
function concat(events: Uint8Array[]): { bytes: Uint8Array; starts: number[] } {
  const starts: number[] = [];
  let n = 0;
  for (const e of events) {
    starts.push(n);
    n += e.byteLength;
  }
  return { bytes: Buffer.concat(events), starts };
}

/**
 * The official client, its HTTP layer replaced: the answer to InvokeWithResponseStream is a 200
 * whose body arrives as `pieces`. Everything after the socket (the event stream deserialiser,
 * the event union's shapes) is the SDK's own.
 */
async function sdkEvents(pieces: Uint8Array[]): Promise<Array<Record<string, unknown>>> {
  const requestHandler = {
    handle: async () => ({
      response: {
        statusCode: 200,
        headers: { 'content-type': 'application/vnd.amazon.eventstream', 'x-amz-executed-version': '$LATEST' },
        body: Readable.from(pieces.map((p) => Buffer.from(p))),
      },
    }),
  } as unknown as LambdaClientConfig['requestHandler'];
  const client = new LambdaClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, requestHandler });
  try {
    const out = await client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'f' }));
    const events: Array<Record<string, unknown>> = [];
    for await (const event of out.EventStream ?? []) events.push(event as unknown as Record<string, unknown>);
    return events;
  } finally {
    client.destroy();
  }
}

/**
 * Smithy's framing layer, the one under the SDK's deserialiser: `getChunkedStream` reassembles
 * whole messages from arbitrary pieces, `MessageDecoderStream` decodes each.
 */
async function codecMessages(pieces: Uint8Array[]): Promise<Message[]> {
  async function* source(): AsyncIterable<Uint8Array> {
    for (const p of pieces) yield p;
  }
  const messages: Message[] = [];
  const decoder = new MessageDecoderStream({ inputStream: getChunkedStream(source()), decoder: new EventStreamCodec(toUtf8, fromUtf8) });
  for await (const m of decoder) messages.push(m);
  return messages;
}

/** Bytes of SDK events made plain for comparison: `Payload` as a Buffer. */
function plain(events: Array<Record<string, unknown>>): unknown[] {
  return events.map((e) => {
    const chunk = e['PayloadChunk'] as { Payload?: Uint8Array } | undefined;
    if (chunk) return { PayloadChunk: { Payload: Buffer.from(chunk.Payload ?? new Uint8Array()) } };
    return e;
  });
}

t.test('a PayloadChunk event carries the bytes as an octet-stream event', async (t) => {
  for (const data of [Buffer.from('hello, stream'), ALL_BYTES, new Uint8Array(0)]) {
    const m = codec.decode(payloadChunkEvent(data));
    checkEvent(t, m, 'PayloadChunk', 'application/octet-stream');
    t.same(Buffer.from(m.body), Buffer.from(data), `${data.byteLength} bytes of body`);
  }
});

t.test('an InvokeComplete event carries its fields as JSON', async (t) => {
  const full = { ErrorCode: 'Unhandled', ErrorDetails: '{"errorMessage":"boom"}', LogResult: Buffer.from('START\nEND\n').toString('base64') };
  for (const complete of [{}, full, { LogResult: 'bG9n' }]) {
    const m = codec.decode(invokeCompleteEvent(complete));
    checkEvent(t, m, 'InvokeComplete', 'application/json');
    t.same(JSON.parse(toUtf8(m.body)), complete);
  }
});

t.test('each event is one whole message whose prelude states its length', async (t) => {
  const events = [payloadChunkEvent(ALL_BYTES), invokeCompleteEvent({})];
  for (const e of events) {
    const view = new DataView(e.buffer, e.byteOffset, e.byteLength);
    t.equal(view.getUint32(0), e.byteLength, 'the prelude states the message length');
    codec.feed(e);
  }
  codec.endOfStream();
  const available = codec.getAvailableMessages();
  t.same(
    available.getMessages().map((m) => header(m, ':event-type')),
    ['PayloadChunk', 'InvokeComplete'],
  );
  t.equal(available.isEndOfStream(), true);
});

t.test("the official SDK's deserialiser reads a whole answer, however the bytes are cut", async (t) => {
  const chunks = [Buffer.from('{"first":'), ALL_BYTES, new Uint8Array(1), Buffer.from('é — multibyte ✓')];
  const complete = { ErrorCode: 'Unhandled', ErrorDetails: '{"errorType":"Error","errorMessage":"broke after two chunks"}', LogResult: 'U1RBUlQK' };
  const { bytes, starts } = concat([...chunks.map((c) => payloadChunkEvent(c)), invokeCompleteEvent(complete)]);
  const expected = [...chunks.map((c) => ({ PayloadChunk: { Payload: Buffer.from(c) } })), { InvokeComplete: complete }];
  for (const { name, pieces } of splits(bytes, starts)) {
    t.same(plain(await sdkEvents(pieces)), expected, `SDK, ${name} (${pieces.length} pieces)`);
    const messages = await codecMessages(pieces);
    t.same(
      messages.map((m) => [header(m, ':event-type'), Buffer.from(m.body)]),
      [...chunks.map((c) => ['PayloadChunk', Buffer.from(c)]), ['InvokeComplete', Buffer.from(JSON.stringify(complete))]],
      `MessageDecoderStream, ${name}`,
    );
  }
});

t.test('a successful answer ends in an empty InvokeComplete; a chunk as large as a zone frame passes', async (t) => {
  const big = Buffer.alloc(256 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
  const { bytes, starts } = concat([payloadChunkEvent(big), payloadChunkEvent(Buffer.from('tail')), invokeCompleteEvent({})]);
  const random = seeded(5);
  const pieces = cutAt(bytes, [...starts.flatMap((s) => [s - 3, s + 5]), ...Array.from({ length: 64 }, () => Math.floor(random() * bytes.length))]);
  t.same(plain(await sdkEvents(pieces)), [{ PayloadChunk: { Payload: big } }, { PayloadChunk: { Payload: Buffer.from('tail') } }, { InvokeComplete: {} }]);
});

t.test('only the InvokeComplete event: a handler that wrote nothing', async (t) => {
  t.same(await sdkEvents([invokeCompleteEvent({})]), [{ InvokeComplete: {} }]);
  const withLog = invokeCompleteEvent({ LogResult: 'bG9n' });
  t.same(await sdkEvents(cutAt(withLog, [1, 9, 13])), [{ InvokeComplete: { LogResult: 'bG9n' } }]);
});

t.test('a corrupted byte is caught by the CRC, not read as another event', async (t) => {
  const bytes = Buffer.from(payloadChunkEvent(Buffer.from('hello')));
  const at = bytes.length - 6;
  bytes[at] = (bytes[at] ?? 0) ^ 0x01;
  await t.rejects(sdkEvents([bytes]), /checksum/i);
});
