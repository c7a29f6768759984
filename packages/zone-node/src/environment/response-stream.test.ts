/**
 * StreamedResponse: one invocation's streamed answer, forwarded to the caller's target as it is
 * written, or joined into one payload when nobody reads a stream; past its limit it drops bytes
 * and turns the invocation into Function.ResponseSizeTooLarge.
 */
import t from 'tap';
import { MAX_SYNC_RESPONSE_BYTES } from '@zonesim/protocol';
import type { Ending } from './invocation-ending.js';
import { StreamedResponse, type ResponseStreamTarget } from './response-stream.js';

/** A target that records every write as (text, content type). */
function recordingTarget(maxBytes = 1024): ResponseStreamTarget & { writes: Array<{ text: string; bytes: number; contentType: string | undefined }> } {
  const writes: Array<{ text: string; bytes: number; contentType: string | undefined }> = [];
  return {
    maxBytes,
    writes,
    write(data, contentType) {
      writes.push({ text: Buffer.from(data).toString('utf8'), bytes: data.byteLength, contentType });
    },
  };
}

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
const success = (payload?: Uint8Array): Ending => ({ outcome: 'success', extraLines: [], keep: true, outOfMemory: false, ...(payload ? { payload } : {}) });

t.test('forwards each write in order; the content type rides with the first non-empty write only', async (t) => {
  const target = recordingTarget();
  const r = new StreamedResponse(target);
  t.equal(r.used, false, 'unused before any write');
  t.equal(r.limit, 1024, "the target's limit");
  // An empty first write (a runtime naming its content type before any byte) reaches nobody.
  t.equal(r.write(new Uint8Array(0), 'text/plain'), true);
  t.equal(r.used, true);
  t.same(target.writes, [], 'empty writes are not forwarded');
  t.equal(r.write(bytes('ab'), 'ignored/later'), true);
  t.equal(r.write(new Uint8Array(0)), true);
  t.equal(r.write(bytes('cde'), 'also/ignored'), true);
  t.same(target.writes, [
    { text: 'ab', bytes: 2, contentType: 'text/plain' },
    { text: 'cde', bytes: 3, contentType: undefined },
  ]);
  t.equal(r.bytes, 5);
  t.equal(r.overLimit, false);
  const end = r.finish(success(bytes('"ignored"')));
  t.equal(end.outcome, 'success');
  t.equal(end.streamed, true);
  t.equal(end.contentType, 'text/plain');
  t.notOk('payload' in end, 'a streamed success has no payload');
});

t.test('the first write without a content type: later ones do not set it', async (t) => {
  const target = recordingTarget();
  const r = new StreamedResponse(target);
  r.write(bytes('x'));
  r.write(bytes('y'), 'text/late');
  t.same(target.writes.map((w) => w.contentType), [undefined, undefined]);
  const end = r.finish(success());
  t.equal(end.contentType, undefined);
  t.notOk('contentType' in end);
});

t.test('without a target the writes are joined into one payload (limit: the synchronous 6 MiB + 100 B)', async (t) => {
  const r = new StreamedResponse(undefined);
  t.equal(r.limit, MAX_SYNC_RESPONSE_BYTES);
  r.write(bytes('hello '), 'text/plain');
  r.write(new Uint8Array(0));
  r.write(bytes('streamed '));
  r.write(bytes('world'));
  const end = r.finish(success(bytes('null')));
  t.equal(end.outcome, 'success');
  t.equal(Buffer.from(end.payload!).toString('utf8'), 'hello streamed world', "the joined bytes, not the runtime's payload");
  t.notOk(end.streamed, 'nothing went out as a stream');
  t.equal(end.contentType, 'text/plain');
  t.equal(end.keep, true);
});

t.test('exactly at the limit is fine', async (t) => {
  const target = recordingTarget(10);
  const r = new StreamedResponse(target);
  t.equal(r.write(bytes('12345'), 'a/b'), true);
  t.equal(r.write(bytes('67890')), true);
  t.equal(r.overLimit, false);
  t.equal(r.bytes, 10);
  t.same(target.writes.map((w) => w.text), ['12345', '67890']);
  const end = r.finish(success());
  t.equal(end.outcome, 'success');
  t.equal(end.functionError, undefined);

  const joined = new StreamedResponse(undefined);
  joined.write(new Uint8Array(MAX_SYNC_RESPONSE_BYTES));
  const e2 = joined.finish(success());
  t.equal(e2.outcome, 'success', 'no target: exactly 6 MiB + 100 B is fine');
  t.equal(e2.payload?.byteLength, MAX_SYNC_RESPONSE_BYTES);
});

t.test('one byte over: later bytes dropped, the target never sees them, finish is Function.ResponseSizeTooLarge', async (t) => {
  const target = recordingTarget(10);
  const r = new StreamedResponse(target);
  t.equal(r.write(bytes('123456789'), 'text/plain'), true);
  t.equal(r.write(bytes('ab')), false, 'the write that crosses the limit is refused');
  t.equal(r.overLimit, true);
  t.equal(r.write(bytes('c')), false, 'and every later one');
  t.equal(r.write(new Uint8Array(0)), false);
  t.same(target.writes.map((w) => w.text), ['123456789'], 'no byte past the limit reached the target');
  t.ok(target.writes.reduce((n, w) => n + w.bytes, 0) <= 10);
  const end = r.finish({ ...success(), payload: bytes('x') });
  t.equal(end.outcome, 'function-error');
  t.same(end.functionError, {
    errorType: 'Function.ResponseSizeTooLarge',
    errorMessage: 'Response payload size exceeded maximum allowed payload size (10 bytes).',
  });
  t.notOk('payload' in end, 'no payload on the error');
  t.equal(end.streamed, true);
  t.equal(end.contentType, 'text/plain');
  t.equal(end.keep, true, 'the environment is kept');
});

t.test('over the limit without a target: the joined parts are dropped, the limit named is 6 MiB + 100 B', async (t) => {
  const r = new StreamedResponse(undefined);
  t.equal(r.write(new Uint8Array(MAX_SYNC_RESPONSE_BYTES)), true);
  t.equal(r.write(bytes('!')), false);
  const end = r.finish(success());
  t.equal(end.outcome, 'function-error');
  t.equal(end.functionError?.errorType, 'Function.ResponseSizeTooLarge');
  t.equal(end.functionError?.errorMessage, `Response payload size exceeded maximum allowed payload size (${MAX_SYNC_RESPONSE_BYTES} bytes).`);
  t.equal(end.payload, undefined);
  t.notOk(end.streamed);
});

t.test('a single write larger than the limit reaches nobody', async (t) => {
  const target = recordingTarget(4);
  const r = new StreamedResponse(target);
  t.equal(r.write(bytes('12345'), 'text/plain'), false);
  t.same(target.writes, []);
  t.equal(r.finish(success()).functionError?.errorType, 'Function.ResponseSizeTooLarge');
});

t.test('markStreamed: an empty stream still has its content type and counts as used', async (t) => {
  const target = recordingTarget();
  const r = new StreamedResponse(target);
  r.markStreamed('application/json');
  t.equal(r.used, true);
  const end = r.finish(success(bytes('')));
  t.equal(end.outcome, 'success');
  t.equal(end.streamed, true);
  t.equal(end.contentType, 'application/json');
  t.notOk('payload' in end);
  t.same(target.writes, []);

  // Without a target: an empty payload with the content type.
  const joined = new StreamedResponse(undefined);
  joined.markStreamed('text/html');
  const e2 = joined.finish(success(bytes('')));
  t.equal(e2.payload?.byteLength, 0);
  t.equal(e2.contentType, 'text/html');
  t.notOk(e2.streamed);

  // After a write, the content type of the first write stands.
  const after = new StreamedResponse(recordingTarget());
  after.write(bytes('x'), 'text/first');
  after.markStreamed('text/second');
  t.equal(after.finish(success()).contentType, 'text/first');

  // No content type given: none invented.
  const bare = new StreamedResponse(undefined);
  bare.markStreamed();
  t.equal(bare.used, true);
  t.notOk('contentType' in bare.finish(success()));
});

t.test('finish keeps a function error (and marks it streamed when there is a target)', async (t) => {
  const error = { errorType: 'Error', errorMessage: 'broke midway', trace: ['Error: broke midway'] };
  const failure: Ending = { outcome: 'function-error', functionError: error, extraLines: ['line'], status: 'error', keep: false, outOfMemory: false };

  const target = recordingTarget();
  const r = new StreamedResponse(target);
  r.write(bytes('partial'), 'text/plain');
  const end = r.finish(failure);
  t.equal(end.outcome, 'function-error');
  t.same(end.functionError, error);
  t.equal(end.streamed, true);
  t.equal(end.contentType, 'text/plain');
  t.equal(end.keep, false, "the ending's fields are kept");
  t.equal(end.status, 'error');
  t.same(end.extraLines, ['line']);
  t.same(target.writes.map((w) => w.text), ['partial'], 'what went out before the error stays out');

  const joined = new StreamedResponse(undefined);
  joined.write(bytes('partial'));
  const e2 = joined.finish(failure);
  t.same(e2.functionError, error);
  t.notOk(e2.streamed, 'no target: not streamed');
  t.equal(e2.payload, undefined, 'the joined bytes are not a payload of an error');
});
