import { createHash, createHmac } from 'node:crypto';

/**
 * The cryptographic half of AWS Signature Version 4: the string to sign, the signing key derived
 * from the secret and the credential scope, and the signature (all HMAC-SHA256, node:crypto).
 */

/** The only algorithm zonesim accepts (and the one every AWS SDK uses for Lambda). */
export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';

/** The last element of every SigV4 credential scope. */
export const SCOPE_TERMINATOR = 'aws4_request';

/** Access key id and secret of one API caller. */
export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Hex SHA-256 of a string (UTF-8) or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `yyyymmdd/region/service/aws4_request`. */
export function credentialScope(date: string, region: string, service: string): string {
  return `${date}/${region}/${service}/${SCOPE_TERMINATOR}`;
}

/** The string to sign: algorithm, timestamp (`yyyymmddThhmmssZ`), scope and the canonical request's hash. */
export function stringToSign(amzDate: string, scope: string, canonicalRequest: string): string {
  return `${SIGV4_ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
}

/** `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`. */
export function signingKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  let key: Buffer = Buffer.from(`AWS4${secretAccessKey}`, 'utf8');
  for (const part of [date, region, service, SCOPE_TERMINATOR]) key = hmac(key, part);
  return key;
}

/** Hex HMAC-SHA256 of the string to sign under the signing key. */
export function signatureOf(key: Buffer, toSign: string): string {
  return hmac(key, toSign).toString('hex');
}

/** Epoch ms as SigV4's ISO 8601 basic timestamp, `20150830T123600Z`. */
export function formatAmzDate(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** Parses `20150830T123600Z` to epoch ms; undefined when it is not that form or not a real time. */
export function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC rolls 20150231 over to March; a timestamp that does not survive the round trip is invalid.
  return formatAmzDate(ms) === value ? ms : undefined;
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}
