import t from 'tap';
import { ManualClock } from '@zonesim/common';
import { LambdaApiError } from '../errors.js';
import { UNSIGNED_PAYLOAD, type HeaderMap } from './canonical-request.js';
import { presignUrl, signRequest } from './sigv4-signer.js';
import { SigV4Verifier, type SignedRequest } from './sigv4-verifier.js';

const KEY = { accessKeyId: 'AKIDZONESIM', secretAccessKey: 'zonesim/secret+key' };
const AT = Date.UTC(2026, 0, 15, 10, 0, 0);
const BASE = 'http://127.0.0.1:4599';
const MISMATCH = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

function verifier(clock = new ManualClock(AT)): SigV4Verifier {
  return new SigV4Verifier({ credentials: [KEY], service: 'lambda' }, { clock });
}

/** What node:http would hand the server for a request fetch sends with these headers. */
function received(method: string, url: string, headers: Record<string, string>): SignedRequest {
  const u = new URL(url);
  const h: HeaderMap = { host: u.host };
  for (const [k, v] of Object.entries(headers)) h[k.toLowerCase()] = v;
  return { method, url: u.pathname + u.search, headers: h };
}

function signed(method: string, path: string, options: { body?: string; headers?: Record<string, string>; key?: typeof KEY; now?: number; unsignedPayload?: boolean } = {}): SignedRequest {
  const url = BASE + path;
  const headers = signRequest({
    method,
    url,
    headers: options.headers ?? {},
    ...(options.body === undefined ? {} : { body: options.body }),
    credentials: options.key ?? KEY,
    region: 'us-east-1',
    service: 'lambda',
    now: options.now ?? AT,
    unsignedPayload: options.unsignedPayload ?? false,
  });
  return received(method, url, headers);
}

function refusal(f: () => unknown): LambdaApiError {
  try {
    f();
  } catch (err) {
    if (err instanceof LambdaApiError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

function body(err: LambdaApiError): Record<string, unknown> {
  return err.body();
}

t.test('a request signed with the right key passes, body and all', async (t) => {
  const v = verifier();
  const payload = JSON.stringify({ n: 1 });
  const req = signed('POST', '/2015-03-31/functions/f/invocations?Qualifier=%24LATEST', {
    body: payload,
    headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'RequestResponse' },
  });
  const pending = v.check(req);
  t.equal(pending.needsBody, true);
  t.doesNotThrow(() => pending.verify(Buffer.from(payload)));
  t.doesNotThrow(() => v.verify(signed('GET', '/2015-03-31/functions')), 'no body');
  t.doesNotThrow(() => v.verify(signed('GET', '/2015-03-31/functions?MaxItems=5&Marker=a%2Fb')), 'query parameters');
});

t.test('an ARN in the path: signer and verifier agree on the double-encoded canonical URI', async (t) => {
  const arn = encodeURIComponent('arn:aws:lambda:us-east-1:000000000000:function:f');
  t.doesNotThrow(() => verifier().verify(signed('GET', `/2017-03-31/tags/${arn}`)));
});

t.test('no signature at all: MissingAuthenticationTokenException', async (t) => {
  const err = refusal(() => verifier().verify(received('GET', `${BASE}/2015-03-31/functions`, {})));
  t.equal(err.type, 'MissingAuthenticationTokenException');
  t.equal(err.status, 403);
  t.same(body(err), { Type: 'User', message: 'Missing Authentication Token' });
});

t.test('an unknown access key: UnrecognizedClientException', async (t) => {
  const err = refusal(() => verifier().verify(signed('GET', '/2015-03-31/functions', { key: { accessKeyId: 'AKIDOTHER', secretAccessKey: KEY.secretAccessKey } })));
  t.equal(err.type, 'UnrecognizedClientException');
  t.equal(err.status, 403);
  t.equal(err.message, 'The security token included in the request is invalid.');
});

t.test('the wrong secret, or anything changed after signing: InvalidSignatureException', async (t) => {
  const v = verifier();
  const wrong = refusal(() => v.verify(signed('GET', '/2015-03-31/functions', { key: { ...KEY, secretAccessKey: 'not-the-secret' } })));
  t.equal(wrong.type, 'InvalidSignatureException');
  t.equal(wrong.status, 403);
  t.equal(wrong.message, MISMATCH);

  const req = signed('POST', '/2015-03-31/functions/f/invocations?Qualifier=1', { body: '{"n":1}', headers: { 'x-amz-invocation-type': 'Event' } });
  t.equal(refusal(() => v.verify(req, Buffer.from('{"n":2}'))).message, MISMATCH, 'body');
  t.equal(refusal(() => v.verify({ ...req, url: req.url.replace('/f/', '/g/') }, Buffer.from('{"n":1}'))).message, MISMATCH, 'path');
  t.equal(refusal(() => v.verify({ ...req, url: req.url.replace('Qualifier=1', 'Qualifier=2') }, Buffer.from('{"n":1}'))).message, MISMATCH, 'query');
  t.equal(refusal(() => v.verify({ ...req, method: 'PUT' }, Buffer.from('{"n":1}'))).message, MISMATCH, 'method');
  t.equal(
    refusal(() => v.verify({ ...req, headers: { ...req.headers, 'x-amz-invocation-type': 'RequestResponse' } }, Buffer.from('{"n":1}'))).message,
    MISMATCH,
    'a signed header',
  );
  t.equal(refusal(() => v.verify({ ...req, headers: { ...req.headers, host: 'elsewhere:1' } }, Buffer.from('{"n":1}'))).message, MISMATCH, 'host');
  t.doesNotThrow(() => v.verify({ ...req, headers: { ...req.headers, 'user-agent': 'other' } }, Buffer.from('{"n":1}')), 'an unsigned header may change');
});

t.test('malformed signatures: IncompleteSignatureException (400)', async (t) => {
  const v = verifier();
  const good = signed('GET', '/2015-03-31/functions');
  const auth = String(good.headers['authorization']);
  const withAuth = (authorization: string, extra: HeaderMap = {}): SignedRequest => ({ ...good, headers: { ...good.headers, authorization, ...extra } });
  const bearer = refusal(() => v.verify(withAuth('Bearer abc')));
  t.equal(bearer.type, 'IncompleteSignatureException');
  t.equal(bearer.status, 400);
  t.match(refusal(() => v.verify(withAuth(auth.replace(/, Signature=.*$/, '')))).message, /requires 'Signature' parameter/);
  t.match(refusal(() => v.verify(withAuth(auth.replace('/us-east-1/', '/')))).message, /exactly 5 slash-delimited elements/);
  t.match(refusal(() => v.verify(withAuth(auth.replace('SignedHeaders=host;x-amz-date', 'SignedHeaders=x-amz-date')))).message, /'Host' must be a 'SignedHeader'/);
  const noDate = { ...good, headers: { host: good.headers['host'], authorization: auth } };
  t.match(refusal(() => v.verify(noDate)).message, /either a 'X-Amz-Date' or a 'Date' header/);
  t.equal(refusal(() => v.verify(withAuth(auth, { 'x-amz-date': '2026-01-15T10:00:00Z' }))).type, 'IncompleteSignatureException');
});

t.test('a scope for another service, or a date that disagrees: InvalidSignatureException', async (t) => {
  const v = verifier();
  const other = signRequest({ method: 'GET', url: `${BASE}/x`, credentials: KEY, region: 'us-east-1', service: 's3', now: AT });
  const wrongService = refusal(() => v.verify(received('GET', `${BASE}/x`, other)));
  t.equal(wrongService.type, 'InvalidSignatureException');
  t.equal(wrongService.message, "Credential should be scoped to correct service: 'lambda'.");
  const req = signed('GET', '/x');
  const shifted = { ...req, headers: { ...req.headers, authorization: String(req.headers['authorization']).replace('/20260115/', '/20260114/') } };
  t.match(refusal(() => v.verify(shifted)).message, /^Date in Credential scope does not match/);
  t.doesNotThrow(() => v.verify(received('GET', `${BASE}/x`, signRequest({ method: 'GET', url: `${BASE}/x`, credentials: KEY, region: 'eu-west-1', service: 'lambda', now: AT }))), 'any region');
});

t.test('clock skew: 15 minutes either way, measured on the injected clock', async (t) => {
  const clock = new ManualClock(AT);
  const v = verifier(clock);
  const req = signed('GET', '/2015-03-31/functions');
  clock.advance(15 * 60_000);
  t.doesNotThrow(() => v.verify(req), 'exactly 15 minutes old');
  clock.advance(1_000);
  const late = refusal(() => v.verify(req));
  t.equal(late.type, 'InvalidSignatureException');
  t.equal(late.status, 403);
  t.equal(late.message, 'Signature expired: 20260115T100000Z is now earlier than 20260115T100001Z (20260115T101501Z - 15 min.)');

  const early = refusal(() => verifier(new ManualClock(AT - 16 * 60_000)).verify(req));
  t.equal(early.type, 'InvalidSignatureException');
  t.equal(early.message, 'Signature not yet current: 20260115T100000Z is still later than 20260115T095900Z (20260115T094400Z + 15 min.)');
  t.doesNotThrow(() => verifier(new ManualClock(AT - 14 * 60_000)).verify(req), '14 minutes ahead is fine');
});

t.test('UNSIGNED-PAYLOAD: the body is not covered and need not be read', async (t) => {
  const v = verifier();
  const req = signed('POST', '/2015-03-31/functions/f/invocations', { body: '{"n":1}', unsignedPayload: true });
  t.equal(req.headers['x-amz-content-sha256'], UNSIGNED_PAYLOAD);
  const pending = v.check(req);
  t.equal(pending.needsBody, false);
  t.doesNotThrow(() => pending.verify());
  t.doesNotThrow(() => v.verify(req, Buffer.from('anything')));
  t.equal(refusal(() => v.verify({ ...req, headers: { ...req.headers, 'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' } })).message, MISMATCH, 'the header is signed');
});

t.test('a declared x-amz-content-sha256 must be the body\'s hash', async (t) => {
  const v = verifier();
  const payload = '{"n":1}';
  const { createHash } = await import('node:crypto');
  const hash = createHash('sha256').update(payload).digest('hex');
  const req = signed('POST', '/2015-03-31/functions/f/invocations', { body: payload, headers: { 'x-amz-content-sha256': hash } });
  t.doesNotThrow(() => v.verify(req, Buffer.from(payload)));
  const err = refusal(() => v.verify(req, Buffer.from('{"n":2}')));
  t.equal(err.type, 'InvalidSignatureException');
  t.match(err.message, /x-amz-content-sha256' header does not match/);
  t.match(refusal(() => v.verify({ ...req, headers: { ...req.headers, 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' } })).message, /must be UNSIGNED-PAYLOAD or the hex SHA-256/);
});

t.test('presigned URLs (X-Amz-Signature in the query)', async (t) => {
  const clock = new ManualClock(AT);
  const v = verifier(clock);
  const url = presignUrl({ method: 'GET', url: `${BASE}/2015-03-31/functions?MaxItems=5`, credentials: KEY, region: 'us-east-1', service: 'lambda', now: AT, expiresSec: 60 });
  t.match(url, /X-Amz-Signature=[0-9a-f]{64}$/);
  t.doesNotThrow(() => v.verify(received('GET', url, {})));
  t.equal(refusal(() => v.verify(received('GET', url.replace('MaxItems=5', 'MaxItems=6'), {}))).message, MISMATCH);
  t.equal(refusal(() => v.verify(received('GET', url.replace(/X-Amz-Expires=60&/, ''), {}))).type, 'IncompleteSignatureException');
  clock.advance(61_000);
  const expired = refusal(() => v.verify(received('GET', url, {})));
  t.equal(expired.type, 'InvalidSignatureException');
  t.match(expired.message, /^Signature expired: 20260115T100000Z is now earlier than 20260115T100001Z \(20260115T100101Z - 60 sec\.\)$/);
});

t.test('the signature comparison needs the exact hex string', async (t) => {
  const v = verifier();
  const req = signed('GET', '/x');
  const auth = String(req.headers['authorization']);
  const upper = auth.replace(/Signature=([0-9a-f]+)$/, (_, s: string) => `Signature=${s.toUpperCase()}`);
  t.equal(refusal(() => v.verify({ ...req, headers: { ...req.headers, authorization: upper } })).type, 'InvalidSignatureException');
  t.equal(refusal(() => v.verify({ ...req, headers: { ...req.headers, authorization: auth.slice(0, -2) } })).type, 'InvalidSignatureException', 'shorter');
});
