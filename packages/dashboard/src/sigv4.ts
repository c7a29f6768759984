import { hex, hmacSha256, sha256 } from './sha256.js';

/**
 * AWS Signature Version 4 for the page's own API calls when the coordinator requires it (the
 * same canonical request as packages/coordinator/src/auth; a unit test checks both agree): the
 * header form for fetch, the presigned-URL form for the event stream (EventSource sets no headers).
 */

/** An access key as the teacher types it in. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SERVICE = 'lambda';
/** Any region is accepted by zonesim; this one names the scope. */
const REGION = 'us-east-1';

/** SigV4's UriEncode (RFC 3986, `!'()*` encoded too). */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The canonical URI: segments normalised, then encoded once more (what AWS SDKs send for Lambda). */
export function canonicalUri(rawPath: string): string {
  const segments: string[] = [];
  for (const s of rawPath.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') segments.pop();
    else segments.push(s);
  }
  const trailing = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
  return `/${segments.map(uriEncode).join('/')}${trailing}`;
}

/** The canonical query: decoded, encoded again, sorted by name then value. */
export function canonicalQuery(rawQuery: string): string {
  const pairs: Array<[string, string]> = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    pairs.push([uriEncode(decode(eq < 0 ? part : part.slice(0, eq))), eq < 0 ? '' : uriEncode(decode(part.slice(eq + 1)))]);
  }
  pairs.sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([n, v]) => `${n}=${v}`).join('&');
}

/** `yyyymmddThhmmssZ`. */
export function amzDate(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function signature(secret: string, date: string, toSign: string): string {
  const kDate = hmacSha256(`AWS4${secret}`, date);
  const kRegion = hmacSha256(kDate, REGION);
  const kService = hmacSha256(kRegion, SERVICE);
  const kSigning = hmacSha256(kService, 'aws4_request');
  return hex(hmacSha256(kSigning, toSign));
}

function stringToSign(stamp: string, scope: string, canonical: string): string {
  return [ALGORITHM, stamp, scope, hex(sha256(canonical))].join('\n');
}

/** Headers that sign one request: `x-amz-date` and `authorization` (host is signed from the URL). */
export function signHeaders(input: { method: string; url: URL; body?: string; credentials: Credentials; now?: number }): Record<string, string> {
  const stamp = amzDate(input.now ?? Date.now());
  const date = stamp.slice(0, 8);
  const scope = `${date}/${REGION}/${SERVICE}/aws4_request`;
  const canonical = [
    input.method.toUpperCase(),
    canonicalUri(input.url.pathname),
    canonicalQuery(input.url.search.slice(1)),
    `host:${input.url.host}\nx-amz-date:${stamp}\n`,
    'host;x-amz-date',
    hex(sha256(input.body ?? '')),
  ].join('\n');
  const sig = signature(input.credentials.secretAccessKey, date, stringToSign(stamp, scope, canonical));
  return {
    'x-amz-date': stamp,
    authorization: `${ALGORITHM} Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=host;x-amz-date, Signature=${sig}`,
  };
}

/** A presigned GET URL valid for `expiresSec`. */
export function presign(input: { url: URL; credentials: Credentials; expiresSec: number; now?: number }): string {
  const stamp = amzDate(input.now ?? Date.now());
  const date = stamp.slice(0, 8);
  const scope = `${date}/${REGION}/${SERVICE}/aws4_request`;
  const params: Array<[string, string]> = [
    ['X-Amz-Algorithm', ALGORITHM],
    ['X-Amz-Credential', `${input.credentials.accessKeyId}/${scope}`],
    ['X-Amz-Date', stamp],
    ['X-Amz-Expires', String(input.expiresSec)],
    ['X-Amz-SignedHeaders', 'host'],
  ];
  const extra = params.map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`).join('&');
  const query = input.url.search.length > 1 ? `${input.url.search.slice(1)}&${extra}` : extra;
  const canonical = ['GET', canonicalUri(input.url.pathname), canonicalQuery(query), `host:${input.url.host}\n`, 'host', hex(sha256(''))].join('\n');
  const sig = signature(input.credentials.secretAccessKey, date, stringToSign(stamp, scope, canonical));
  return `${input.url.origin}${input.url.pathname}?${query}&X-Amz-Signature=${sig}`;
}
