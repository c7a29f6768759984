/**
 * The canonical request of AWS Signature Version 4: the one string both ends build from an HTTP
 * request and hash before signing. Both the verifier and the signer use these functions, so the two
 * can never disagree about a byte of it.
 */

/** SHA-256 of the empty body, the payload hash of a request without one. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** The `x-amz-content-sha256` value that leaves the body out of the signature. */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** Headers as node:http hands them over (lowercase names). */
export type HeaderMap = Record<string, string | string[] | undefined>;

/**
 * SigV4's `UriEncode`: RFC 3986, every byte but `A-Z a-z 0-9 - _ . ~` percent-encoded with
 * uppercase hex. `encodeURIComponent` leaves `!'()*` alone, so those are encoded here.
 */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The canonical URI of a path exactly as it was sent (still percent-encoded). Every AWS SDK but
 * S3's signs with `uriEscapePath: true` (@smithy/signature-v4 `getCanonicalPath`): empty and `.`
 * segments are dropped, `..` removes its parent, and the whole path is URI-encoded once more with
 * `/` kept. So `/2017-03-31/tags/arn%3Aaws%3A...` is signed as `/2017-03-31/tags/arn%253Aaws%253A...`.
 */
export function canonicalUri(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
  return `/${segments.map(uriEncode).join('/')}${trailing}`;
}

/**
 * The canonical query string of a raw query (without `?`): each name and value decoded, encoded
 * again with {@link uriEncode}, sorted by name and then by value, `name=value` joined with `&`.
 * `omit` names a parameter left out (`X-Amz-Signature` of a presigned URL).
 */
export function canonicalQuery(rawQuery: string, omit?: string): string {
  const pairs: Array<[string, string]> = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = uriEncode(decodeLenient(eq < 0 ? part : part.slice(0, eq)));
    const value = eq < 0 ? '' : uriEncode(decodeLenient(part.slice(eq + 1)));
    if (omit !== undefined && name === omit) continue;
    pairs.push([name, value]);
  }
  pairs.sort(([an, av], [bn, bv]) => compare(an, bn) || compare(av, bv));
  return pairs.map(([n, v]) => `${n}=${v}`).join('&');
}

/**
 * The canonical headers block: one `name:value\n` line per signed header, in the order given
 * (signers list them sorted). Values are trimmed, runs of spaces and tabs become one space, and
 * repeated headers are joined with `,`, as the SigV4 specification says.
 */
export function canonicalHeaders(headers: HeaderMap, signedHeaders: readonly string[]): string {
  return signedHeaders.map((name) => `${name}:${canonicalHeaderValue(headers[name])}\n`).join('');
}

function canonicalHeaderValue(value: string | string[] | undefined): string {
  const joined = Array.isArray(value) ? value.map((v) => v.trim()).join(',') : (value ?? '');
  return joined.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').trim();
}

/** The parts of a canonical request. */
export interface CanonicalRequestParts {
  method: string;
  /** From {@link canonicalUri}. */
  canonicalUri: string;
  /** From {@link canonicalQuery}. */
  canonicalQuery: string;
  /** From {@link canonicalHeaders}. */
  canonicalHeaders: string;
  /** Lowercase header names, `;`-joined. */
  signedHeaders: string;
  /** Hex SHA-256 of the body, or {@link UNSIGNED_PAYLOAD}. */
  payloadHash: string;
}

/** Joins the parts into the canonical request (the headers block ends with its own newline). */
export function canonicalRequest(p: CanonicalRequestParts): string {
  return [p.method, p.canonicalUri, p.canonicalQuery, p.canonicalHeaders, p.signedHeaders, p.payloadHash].join('\n');
}

/** Decodes percent-encoding; a malformed sequence is kept as it came (it is signed as sent). */
function decodeLenient(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Byte-order comparison, as the SigV4 sort is (not locale order). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
