import t from 'tap';
import { httpEventV2, urlResponse } from './http-event.js';

const base = {
  method: 'POST',
  rawPath: '/my/path',
  rawQueryString: 'parameter1=value1&parameter1=value2&parameter2=value',
  rawHeaders: ['Content-Type', 'application/json', 'X-Multi', 'a', 'X-Multi', 'b', 'Cookie', 'cookie1=1; cookie2=2', 'User-Agent', 'agent'],
  body: Buffer.from('{"hello":"world"}'),
  sourceIp: '127.0.0.1',
  protocol: 'HTTP/1.1',
  requestId: 'req-1',
  timeEpoch: Date.parse('2020-03-12T19:03:58Z'),
};
const ctx = { urlId: 'abcdefghijklmnopqrstuvwxyz012345', region: 'us-west-2', accountId: '123456789012' };

t.test('payload format 2.0 event', async (t) => {
  const e = httpEventV2(base, ctx) as any;
  t.equal(e.version, '2.0');
  t.equal(e.routeKey, '$default');
  t.equal(e.rawPath, '/my/path');
  t.equal(e.rawQueryString, base.rawQueryString);
  t.same(e.cookies, ['cookie1=1', 'cookie2=2']);
  t.same(e.headers, { 'content-type': 'application/json', 'x-multi': 'a,b', 'user-agent': 'agent' }, 'lower case, repeats comma-joined, no cookie header');
  t.same(e.queryStringParameters, { parameter1: 'value1,value2', parameter2: 'value' });
  t.equal(e.body, '{"hello":"world"}');
  t.equal(e.isBase64Encoded, false);
  t.equal(e.requestContext.domainName, `${ctx.urlId}.lambda-url.us-west-2.on.aws`);
  t.equal(e.requestContext.domainPrefix, ctx.urlId);
  t.equal(e.requestContext.apiId, ctx.urlId);
  t.same(e.requestContext.http, { method: 'POST', path: '/my/path', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'agent' });
  t.equal(e.requestContext.time, '12/Mar/2020:19:03:58 +0000');
  t.equal(e.requestContext.timeEpoch, base.timeEpoch);
  t.equal(e.requestContext.stage, '$default');
  t.equal(e.requestContext.authorizer, undefined, 'no authorizer for AuthType NONE');

  const bin = httpEventV2({ ...base, rawHeaders: ['Content-Type', 'image/png'], body: Buffer.from([0, 255, 1]), rawQueryString: '' }, ctx) as any;
  t.equal(bin.isBase64Encoded, true);
  t.equal(bin.body, Buffer.from([0, 255, 1]).toString('base64'));
  t.equal(bin.queryStringParameters, undefined);
  t.equal(bin.cookies, undefined);
  const empty = httpEventV2({ ...base, method: 'GET', body: Buffer.alloc(0) }, ctx) as any;
  t.equal(empty.body, undefined);
  t.equal(empty.isBase64Encoded, false);
  const iam = httpEventV2(base, { ...ctx, iam: { accessKey: 'AKID', accountId: '123456789012' } }) as any;
  t.equal(iam.requestContext.authorizer.iam.accessKey, 'AKID');
});

t.test('responses: structured, inferred, binary, cookies', async (t) => {
  const r = urlResponse(JSON.stringify({ statusCode: 201, headers: { 'X-Thing': 'yes', 'Content-Type': 'text/plain' }, cookies: ['a=b; Max-Age=78000', 'c=d'], body: 'made' }));
  t.equal(r.status, 201);
  t.same(r.headers, [['x-thing', 'yes'], ['content-type', 'text/plain'], ['set-cookie', 'a=b; Max-Age=78000'], ['set-cookie', 'c=d']]);
  t.equal(r.body.toString(), 'made');
  const bin = urlResponse(JSON.stringify({ statusCode: 200, body: Buffer.from([1, 2, 250]).toString('base64'), isBase64Encoded: true }));
  t.same([...bin.body], [1, 2, 250]);
  const inferred = urlResponse('{"hello":"world"}');
  t.equal(inferred.status, 200);
  t.same(inferred.headers, [['content-type', 'application/json']]);
  t.equal(inferred.body.toString(), '{"hello":"world"}');
  t.equal(urlResponse('"just a string"').body.toString(), '"just a string"');
  t.equal(urlResponse(JSON.stringify({ statusCode: 'nope' })).status, 502);
  t.equal(urlResponse(JSON.stringify({ statusCode: 204 })).body.length, 0);
});
