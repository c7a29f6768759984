import t from 'tap';
import { msgpackCodec } from './codec.js';
import { sampleHello } from './test-util/sample-messages.js';
import { parseZoneFrame } from './validate.js';
import { ValueFrame, frameWireBytes, valueCodec } from './value-codec.js';

// Values at every boundary of msgpack's formats: fixint/uint8/16/32, negative fixint/int8/16/32,
// floats and integers beyond 32 bits, fixstr/str8/16 with multi-byte and astral characters, bin8/16,
// fixarray/array16, fixmap/map16, undefined members, nesting.
const EDGES: unknown[] = [
  0, 1, 31, 32, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53, -1, -32, -33, -128, -129, -32768, -32769,
  -(2 ** 31), -(2 ** 31) - 1, 0.5, 1.1, -0, Number.NaN, Infinity,
  true, false, null, undefined,
  '', 'a', 'x'.repeat(31), 'x'.repeat(32), 'x'.repeat(255), 'x'.repeat(256), 'x'.repeat(70_000), 'é', 'é'.repeat(20), '€'.repeat(11), '😀', 'a\ud800b',
  new Uint8Array(0), new Uint8Array(255), new Uint8Array(256), new Uint8Array(70_000), Buffer.from('payload'),
  [], [1, 2, 3], Array.from({ length: 15 }, (_, i) => i), Array.from({ length: 16 }, (_, i) => i),
  {}, { a: 1 }, Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, i])), { gone: undefined, kept: 'x' },
  { type: 'invoke', fn: { functionName: 'f', memoryMb: 128, env: { A: 'é' } }, payload: new Uint8Array(3), deadline: 1.5e12 },
];

t.test("a value frame's wire size is exactly msgpackr's length", async (t) => {
  for (const value of EDGES) {
    const copy = value instanceof Uint8Array || typeof value !== 'object' || value === null ? value : structuredClone(value);
    const frame = valueCodec.encode(copy);
    t.equal(frameWireBytes(frame), msgpackCodec.encode(value).byteLength, `size of ${JSON.stringify(value)?.slice(0, 40) ?? String(value)}`);
  }
});

t.test('a value frame carries the message itself, frozen; bytes are not a value frame', async (t) => {
  const hello = sampleHello();
  const frame = valueCodec.encode(hello);
  t.type(frame, ValueFrame);
  t.equal(frame.byteLength, 0, 'no bytes travel');
  t.equal(frameWireBytes(frame), msgpackCodec.encode(hello).byteLength);
  const parsed = parseZoneFrame(valueCodec, frame);
  t.ok(parsed.ok, 'the receiver validates it as over bytes');
  if (parsed.ok) t.equal(parsed.message, hello, 'the very object: nothing copied');
  t.ok(Object.isFrozen(hello) && Object.isFrozen(hello.capacity) && Object.isFrozen(hello.runtimes), 'frozen to the leaves');
  t.throws(() => {
    (hello.capacity as { memoryMb: number }).memoryMb = 1;
  }, TypeError, 'a change after sending fails at once instead of reaching the other end');
  t.equal(frameWireBytes(new Uint8Array(7)), 7, 'an encoded frame takes its length');
  const bytes = parseZoneFrame(valueCodec, msgpackCodec.encode(hello));
  t.equal(bytes.ok, false, 'an encoded frame is not decoded by the value codec');
  if (!bytes.ok) t.equal(bytes.code, 'MALFORMED_FRAME');
  t.throws(() => valueCodec.encode({ f: () => 1 }), TypeError, 'a function cannot be sent');
});
