import t from 'tap';
import { MAX_CLOSE_REASON_BYTES, closeReason } from './close-codes.js';

t.test('close reasons fit a close frame without splitting a character', async (t) => {
  t.equal(closeReason('short'), 'short');
  const ascii = closeReason('x'.repeat(500));
  t.equal(Buffer.byteLength(ascii), MAX_CLOSE_REASON_BYTES);
  const wide = closeReason('\u00e9\u4e16\u{1f600}'.repeat(100));
  t.ok(Buffer.byteLength(wide) <= MAX_CLOSE_REASON_BYTES);
  t.notMatch(wide, /\ufffd/, 'no broken character');
  t.equal(Buffer.from(wide).toString(), wide);
});
