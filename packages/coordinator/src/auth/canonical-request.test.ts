import t from 'tap';
import { canonicalHeaders, canonicalQuery, canonicalRequest, canonicalUri, uriEncode } from './canonical-request.js';

t.test('uriEncode is RFC 3986: only unreserved characters stay', async (t) => {
  t.equal(uriEncode("AZaz09-_.~"), 'AZaz09-_.~');
  t.equal(uriEncode("a b/c:d!'()*+=&%"), 'a%20b%2Fc%3Ad%21%27%28%29%2A%2B%3D%26%25');
  t.equal(uriEncode('ሴ'), '%E1%88%B4', 'UTF-8 bytes, uppercase hex');
});

t.test('the canonical URI encodes the path as sent once more (uriEscapePath: true)', async (t) => {
  // TagResource: the SDK sends the ARN encoded once; the signature covers it encoded twice.
  t.equal(
    canonicalUri('/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af'),
    '/2017-03-31/tags/arn%253Aaws%253Alambda%253Aus-east-1%253A000000000000%253Afunction%253Af',
  );
  t.equal(canonicalUri('/2015-03-31/functions/my-fn%3A%24LATEST/invocations'), '/2015-03-31/functions/my-fn%253A%2524LATEST/invocations');
  t.equal(canonicalUri('/a/%2F/b'), '/a/%252F/b', 'an encoded slash stays inside its segment');
  t.equal(canonicalUri('/'), '/');
  t.equal(canonicalUri(''), '/');
  t.equal(canonicalUri('/a//b/./c/../d'), '/a/b/d', 'empty and dot segments are normalised, as the SDK does');
  t.equal(canonicalUri('/2015-03-31/functions/'), '/2015-03-31/functions/', 'a trailing slash is kept');
});

t.test('the canonical query is decoded, encoded again and sorted by name, then value', async (t) => {
  t.equal(canonicalQuery(''), '');
  t.equal(canonicalQuery('Param2=value2&Param1=value1'), 'Param1=value1&Param2=value2');
  t.equal(canonicalQuery('b=2&a=1&A=0'), 'A=0&a=1&b=2', 'byte order, uppercase first');
  t.equal(canonicalQuery('k=b&k=a'), 'k=a&k=b', 'repeated names sorted by value');
  t.equal(canonicalQuery('Qualifier=%24LATEST&Marker=a%2Fb'), 'Marker=a%2Fb&Qualifier=%24LATEST');
  t.equal(canonicalQuery('q=a b&r=x*'), 'q=a%20b&r=x%2A', 'characters the client left raw are encoded');
  t.equal(canonicalQuery('flag&x='), 'flag=&x=', 'a name without a value signs as name=');
  t.equal(canonicalQuery('bad=%E0%A4%A'), 'bad=%25E0%25A4%25A', 'a malformed escape is taken as literal text');
  t.equal(canonicalQuery('X-Amz-Signature=abc&X-Amz-Date=1', 'X-Amz-Signature'), 'X-Amz-Date=1', 'the presigned signature is left out');
});

t.test('canonical headers: trimmed, inner whitespace folded, repeats joined with commas', async (t) => {
  t.equal(
    canonicalHeaders({ host: 'h:1', 'x-amz-date': '  20150830T123600Z ', 'x-multi': ['a', ' b  c '], 'content-type': 'application/json' }, ['host', 'x-amz-date', 'x-multi']),
    'host:h:1\nx-amz-date:20150830T123600Z\nx-multi:a,b c\n',
  );
  t.equal(canonicalHeaders({}, ['host']), 'host:\n', 'a signed header that is missing signs as empty (and then fails to match)');
});

t.test('canonical request layout', async (t) => {
  t.equal(
    canonicalRequest({ method: 'GET', canonicalUri: '/', canonicalQuery: '', canonicalHeaders: 'host:h\n', signedHeaders: 'host', payloadHash: 'UNSIGNED-PAYLOAD' }),
    'GET\n/\n\nhost:h\n\nhost\nUNSIGNED-PAYLOAD',
  );
});
