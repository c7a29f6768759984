import t from 'tap';
import { EMPTY_SHA256, canonicalHeaders, canonicalQuery, canonicalRequest } from './canonical-request.js';
import { credentialScope, formatAmzDate, parseAmzDate, sha256Hex, signatureOf, signingKey, stringToSign } from './signing-key.js';
import { signRequest } from './sigv4-signer.js';

// AWS's published SigV4 test suite (aws-sig-v4-test-suite): AKIDEXAMPLE, 20150830T123600Z,
// us-east-1, service "service", host example.amazonaws.com.
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const AMZ_DATE = '20150830T123600Z';
const AT = Date.UTC(2015, 7, 30, 12, 36, 0);

function suiteSignature(method: string, uri: string, query: string): string {
  const canonical = canonicalRequest({
    method,
    canonicalUri: uri,
    canonicalQuery: canonicalQuery(query),
    canonicalHeaders: canonicalHeaders({ host: 'example.amazonaws.com', 'x-amz-date': AMZ_DATE }, ['host', 'x-amz-date']),
    signedHeaders: 'host;x-amz-date',
    payloadHash: EMPTY_SHA256,
  });
  const key = signingKey(SECRET, '20150830', 'us-east-1', 'service');
  return signatureOf(key, stringToSign(AMZ_DATE, credentialScope('20150830', 'us-east-1', 'service'), canonical));
}

t.test('the signing key of the test suite', async (t) => {
  t.equal(signingKey(SECRET, '20150830', 'us-east-1', 'service').toString('hex'), '938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75');
});

t.test('AWS SigV4 test suite vectors', async (t) => {
  t.equal(suiteSignature('GET', '/', ''), '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31', 'get-vanilla');
  t.equal(suiteSignature('GET', '/', 'Param2=value2&Param1=value1'), 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500', 'get-vanilla-query-order-key-case');
  t.equal(suiteSignature('POST', '/', ''), '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b', 'post-vanilla');
  t.equal(suiteSignature('GET', '/%E1%88%B4', ''), '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85', 'get-utf8');
});

t.test('the string to sign of get-vanilla', async (t) => {
  const canonical = 'GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n' + EMPTY_SHA256;
  t.equal(sha256Hex(canonical), 'bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63');
  t.equal(stringToSign(AMZ_DATE, '20150830/us-east-1/service/aws4_request', canonical), `AWS4-HMAC-SHA256\n${AMZ_DATE}\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63`);
});

t.test('the signer reproduces get-vanilla end to end', async (t) => {
  const headers = signRequest({
    method: 'GET',
    url: 'https://example.amazonaws.com/',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET },
    region: 'us-east-1',
    service: 'service',
    now: AT,
  });
  t.same(headers, {
    'x-amz-date': AMZ_DATE,
    authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  });
});

t.test('amz dates', async (t) => {
  t.equal(formatAmzDate(AT), AMZ_DATE);
  t.equal(parseAmzDate(AMZ_DATE), AT);
  t.equal(parseAmzDate('2015-08-30T12:36:00Z'), undefined, 'extended format is not SigV4');
  t.equal(parseAmzDate('20150231T000000Z'), undefined, 'no 31 February');
  t.equal(parseAmzDate('20150830T123600'), undefined, 'UTC only');
});
