import t from 'tap';
import { MsgpackCodec } from './codec.js';
import { parseZoneFrame, parseCoordinatorFrame } from './validate.js';
import { sampleHello } from './test-util/sample-messages.js';

const codec = new MsgpackCodec();

t.test('a valid hello round-trips through the codec and the validator', async (t) => {
  const hello = sampleHello();
  const parsed = parseZoneFrame(codec, codec.encode(hello));
  t.ok(parsed.ok);
  if (parsed.ok) t.same(parsed.message, hello);
});

t.test("a hello's sandbox report is validated: known kinds only, a bounded reason", async (t) => {
  const base = sampleHello();
  const good = { ...base, sandbox: { kind: 'none', reason: 'bwrap not found', cpuModel: 'host' } };
  const parsed = parseZoneFrame(codec, codec.encode(good));
  t.ok(parsed.ok);
  if (parsed.ok) t.same(parsed.message, good);
  const unknownKind = parseZoneFrame(codec, codec.encode({ ...base, sandbox: { kind: 'chroot', cpuModel: 'host' } }));
  t.equal(unknownKind.ok, false);
  if (!unknownKind.ok) t.match(unknownKind.reason, /sandbox/);
  const longReason = parseZoneFrame(codec, codec.encode({ ...base, sandbox: { kind: 'none', reason: 'x'.repeat(201), cpuModel: 'host' } }));
  t.equal(longReason.ok, false);
  const badCpu = parseZoneFrame(codec, codec.encode({ ...base, sandbox: { kind: 'bwrap', cpuModel: 'turbo' } }));
  t.equal(badCpu.ok, false);
});

t.test('garbage bytes are a malformed frame, not an exception', async (t) => {
  const parsed = parseZoneFrame(codec, new Uint8Array([0xc1, 0xff, 0x00]));
  t.equal(parsed.ok, false);
  if (!parsed.ok) t.equal(parsed.code, 'MALFORMED_FRAME');
});

t.test('an unknown type and a wrong field are invalid messages naming the problem', async (t) => {
  const unknown = parseCoordinatorFrame(codec, codec.encode({ type: 'launch-missiles' }));
  t.equal(unknown.ok, false);
  if (!unknown.ok) t.match(unknown.reason, /unknown message type/);
  const wrong = parseCoordinatorFrame(codec, codec.encode({ type: 'ping', seq: 'one', sentAt: 1 }));
  t.equal(wrong.ok, false);
  if (!wrong.ok) t.match(wrong.reason, /ping \/seq/);
  const notMap = parseCoordinatorFrame(codec, codec.encode([1, 2, 3]));
  t.equal(notMap.ok, false);
});

t.test('binary payloads survive as bytes', async (t) => {
  const payload = new TextEncoder().encode('{"a":1}');
  const msg = {
    type: 'invoke-rejected',
    invocationId: 'i1',
    error: { code: 'NODE_AT_CAPACITY', message: 'full' },
  };
  t.ok(parseZoneFrame(codec, codec.encode(msg)).ok);
  const decoded = codec.decode(codec.encode({ p: payload })) as { p: Uint8Array };
  t.same(Buffer.from(decoded.p).toString(), '{"a":1}');
});

t.test('environment-ready (a pre-warmed environment, issue 18) is a zone message with an id and a specKey', async (t) => {
  const ready = { type: 'environment-ready', environmentId: 'env-1', specKey: 'f:$LATEST:1' };
  const parsed = parseZoneFrame(codec, codec.encode(ready));
  t.ok(parsed.ok);
  if (parsed.ok) t.same(parsed.message, ready);
  t.notOk(parseZoneFrame(codec, codec.encode({ type: 'environment-ready', environmentId: 'env-1' })).ok, 'no specKey');
  t.notOk(parseCoordinatorFrame(codec, codec.encode(ready)).ok, 'never from the coordinator');
});
