import type { IncomingMessage } from 'node:http';
import t from 'tap';
import { replayRequest, replayedBody } from './replayed-request.js';

const original = { method: 'PUT', url: '/zonesim/v1/images/x', headers: { 'content-length': '200000' }, rawHeaders: [], httpVersion: '1.1', socket: undefined } as unknown as IncomingMessage;

t.test('a replayed body streams again in socket-sized slices, and is there whole for receiveBody', async (t) => {
  const body = Buffer.alloc(200_000, 7);
  const req = replayRequest(original, { bytes: body, sha256Hex: 'ab'.repeat(32) });
  t.equal(replayedBody(req)?.bytes, body, 'the bytes, without a copy');
  t.equal(replayedBody(req)?.sha256Hex, 'ab'.repeat(32));
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  t.ok(chunks.length >= 4 && chunks.every((c) => c.length <= 64 * 1024), `${chunks.length} slices of at most 64 KiB`);
  t.same(Buffer.concat(chunks), body);
  t.equal(req.method, 'PUT');
  t.equal(req.url, '/zonesim/v1/images/x');
});

t.test('an empty replayed body ends at once; other requests have no replayed body', async (t) => {
  const req = replayRequest(original, Buffer.alloc(0));
  const chunks: unknown[] = [];
  for await (const chunk of req) chunks.push(chunk);
  t.same(chunks, []);
  t.equal(replayedBody(original), undefined);
});
