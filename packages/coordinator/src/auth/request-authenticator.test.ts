// The verifier against the real AWS SDK for JavaScript v3 (its own SigV4 signer), through an
// in-process HTTP server: the canonical path (an ARN is signed double-encoded), query, headers and
// body hash must all agree with what @smithy/signature-v4 computes.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { InvokeCommand, LambdaClient, ListFunctionsCommand, ListTagsCommand } from '@aws-sdk/client-lambda';
import { newRequestId, systemClock } from '@zonesim/common';
import { readBody } from '../http/body.js';
import { sendError, sendJson } from '../http/respond.js';
import { RequestAuthenticator } from './request-authenticator.js';
import { signRequest } from './sigv4-signer.js';
import { SigV4Verifier } from './sigv4-verifier.js';

const KEY = { accessKeyId: 'AKIDZONESIM', secretAccessKey: 'zonesim/secret+key' };

interface Seen {
  url: string;
  body: string;
}

/** A server that authenticates, then reads the body again (as a route does) and echoes it. */
async function startServer(t: Test, maxBodyBytes = 1024 * 1024): Promise<{ url: string; seen: Seen[] }> {
  const auth = new RequestAuthenticator(new SigV4Verifier({ credentials: [KEY], service: 'lambda' }, { clock: systemClock }), { maxBodyBytes });
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const requestId = newRequestId();
    auth
      .authenticate(req)
      .then(async (checked: IncomingMessage) => {
        const body = (await readBody(checked, maxBodyBytes, 'Test')).toString('utf8');
        seen.push({ url: checked.url ?? '', body });
        if (new URL(checked.url ?? '/', 'http://x').pathname.endsWith('/invocations')) {
          res.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' });
          res.end(body);
          return;
        }
        sendJson(res, 200, checked.url?.startsWith('/2017-03-31/tags/') ? { Tags: { seen: 'yes' } } : { Functions: [] }, requestId);
      })
      .catch((err: unknown) => sendError(res, err, requestId));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function client(t: Test, endpoint: string, credentials = KEY): LambdaClient {
  const c = new LambdaClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  t.teardown(() => c.destroy());
  return c;
}

t.test('requests signed by the AWS SDK pass, and routes read the body again', async (t) => {
  const server = await startServer(t);
  const lambda = client(t, server.url);
  const arn = 'arn:aws:lambda:us-east-1:000000000000:function:my-fn';
  const tags = await lambda.send(new ListTagsCommand({ Resource: arn }));
  t.same(tags.Tags, { seen: 'yes' }, 'an ARN in the path (signed double-encoded)');
  t.equal(server.seen[0]?.url, `/2017-03-31/tags/${encodeURIComponent(arn)}`);

  const out = await lambda.send(new InvokeCommand({ FunctionName: 'my-fn', Qualifier: '$LATEST', Payload: Buffer.from('{"hello":"world"}'), LogType: 'None' }));
  t.equal(new TextDecoder().decode(out.Payload), '{"hello":"world"}', 'the body the route read is the signed one');

  await lambda.send(new ListFunctionsCommand({ MaxItems: 5, Marker: 'a/b c' }));
  t.match(server.seen[2]?.url, /Marker=a%2Fb%20c/);
});

t.test('the SDK with a wrong secret or an unknown key gets the AWS exception classes', async (t) => {
  const server = await startServer(t);
  const wrongSecret = client(t, server.url, { ...KEY, secretAccessKey: 'wrong' });
  await t.rejects(wrongSecret.send(new ListFunctionsCommand({})), { name: 'InvalidSignatureException', $metadata: { httpStatusCode: 403 } });
  const unknownKey = client(t, server.url, { accessKeyId: 'AKIDNOBODY', secretAccessKey: KEY.secretAccessKey });
  await t.rejects(unknownKey.send(new ListFunctionsCommand({})), { name: 'UnrecognizedClientException', $metadata: { httpStatusCode: 403 } });
  t.equal(server.seen.length, 0, 'no refused request reached a route');
});

t.test('an unsigned request is refused without reading its body; the connection stays usable', async (t) => {
  const server = await startServer(t);
  const res = await fetch(`${server.url}/2015-03-31/functions/f/invocations`, { method: 'POST', body: 'x'.repeat(100_000) });
  t.equal(res.status, 403);
  t.equal(res.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
  t.same(await res.json(), { Type: 'User', message: 'Missing Authentication Token' });
  const url = `${server.url}/2015-03-31/functions`;
  const again = await fetch(url, { headers: signRequest({ method: 'GET', url, credentials: KEY, region: 'us-east-1', service: 'lambda' }) });
  t.equal(again.status, 200);
});

t.test('a signed body above the bound is 413 RequestTooLargeException', async (t) => {
  const server = await startServer(t, 1000);
  const url = `${server.url}/2015-03-31/functions/f/invocations`;
  const body = 'x'.repeat(1001);
  const res = await fetch(url, { method: 'POST', body, headers: signRequest({ method: 'POST', url, body, credentials: KEY, region: 'us-east-1', service: 'lambda' }) });
  t.equal(res.status, 413);
  t.equal(res.headers.get('x-amzn-errortype'), 'RequestTooLargeException');
});

t.test('UNSIGNED-PAYLOAD: the route reads the original stream', async (t) => {
  const server = await startServer(t);
  const url = `${server.url}/2015-03-31/functions/f/invocations`;
  const body = '{"big":true}';
  const headers = signRequest({ method: 'POST', url, body, credentials: KEY, region: 'us-east-1', service: 'lambda', unsignedPayload: true });
  const res = await fetch(url, { method: 'POST', body, headers });
  t.equal(res.status, 200);
  t.equal(await res.text(), body);
});

t.test('a signed body of megabytes is hashed chunk by chunk as it arrives; a body that is not the one signed is refused', async (t) => {
  const server = await startServer(t, 8 * 1024 * 1024);
  const url = `${server.url}/2015-03-31/functions/f/invocations`;
  const body = JSON.stringify({ data: 'z'.repeat(5 * 1024 * 1024) });
  const headers = signRequest({ method: 'POST', url, body, credentials: KEY, region: 'us-east-1', service: 'lambda' });
  const res = await fetch(url, { method: 'POST', body, headers });
  t.equal(res.status, 200);
  t.equal((await res.text()).length, body.length, 'the route read the whole signed body');

  // Same length, one byte changed: the signature covers the body's hash, which no longer matches.
  const tampered = `${body.slice(0, -3)}y"}`;
  const refused = await fetch(url, { method: 'POST', body: tampered, headers });
  t.equal(refused.status, 403);
  t.equal(refused.headers.get('x-amzn-errortype'), 'InvalidSignatureException');
});
