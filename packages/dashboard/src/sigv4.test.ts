// Issue 9: the page signs its API calls itself when the coordinator requires SigV4 (no WebCrypto on
// plain-http origins). Its SHA-256/HMAC match node:crypto, and its signatures match the
// coordinator's own signer byte for byte (the coordinator's verifier uses the same canonical request).
import { createHash, createHmac, randomBytes } from 'node:crypto';
import t from 'tap';
import { presignUrl, signRequest } from '@zonesim/coordinator';
import { hex, hmacSha256, sha256 } from './sha256.js';
import { presign, signHeaders } from './sigv4.js';

t.test('SHA-256 and HMAC-SHA-256 agree with node:crypto', async (t) => {
  for (const len of [0, 1, 55, 56, 63, 64, 65, 119, 1000, 70_000]) {
    const data = randomBytes(len);
    t.equal(hex(sha256(data)), createHash('sha256').update(data).digest('hex'), `sha256 of ${len} bytes`);
    const key = randomBytes(len % 100);
    t.equal(hex(hmacSha256(key, data)), createHmac('sha256', key).update(data).digest('hex'), `hmac of ${len} bytes`);
  }
  t.equal(hex(sha256('héllo ✓')), createHash('sha256').update('héllo ✓', 'utf8').digest('hex'), 'UTF-8 strings');
  const longKey = 'k'.repeat(200);
  t.equal(hex(hmacSha256(longKey, 'm')), createHmac('sha256', longKey).update('m').digest('hex'), 'a key longer than a block');
});

t.test('the page signs as the coordinator signs', async (t) => {
  const credentials = { accessKeyId: 'AKIDTEACHER', secretAccessKey: 'class/secret+key=' };
  const now = Date.UTC(2026, 10, 27, 15, 4, 5);
  for (const [method, url, body] of [
    ['GET', 'http://10.0.0.5:4599/zonesim/v1/control', undefined],
    ['GET', 'http://10.0.0.5:4599/zonesim/v1/invocations/a1b2c3d4-0000-4000-8000-123456789abc', undefined],
    ['POST', 'http://10.0.0.5:4599/zonesim/v1/control/zones/az-b/latency', '{"latencyMs":300}'],
    ['GET', 'http://[::1]:4599/zonesim/v1/dead-letters?limit=10&offset=0', undefined],
  ] as const) {
    const page = signHeaders({ method, url: new URL(url), ...(body ? { body } : {}), credentials, now });
    const coordinator = signRequest({ method, url, ...(body ? { body } : {}), credentials, region: 'us-east-1', service: 'lambda', now });
    t.same(page, { 'x-amz-date': coordinator['x-amz-date'], authorization: coordinator['authorization'] }, `${method} ${url}`);
  }
  const url = 'http://10.0.0.5:4599/zonesim/v1/dashboard/events';
  t.equal(
    presign({ url: new URL(url), credentials, expiresSec: 600, now }),
    presignUrl({ method: 'GET', url, credentials, region: 'us-east-1', service: 'lambda', expiresSec: 600, now }),
    'the event stream\'s presigned URL',
  );
});
