import {
  EMPTY_SHA256,
  UNSIGNED_PAYLOAD,
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  uriEncode,
} from './canonical-request.js';
import {
  SIGV4_ALGORITHM,
  credentialScope,
  formatAmzDate,
  sha256Hex,
  signatureOf,
  signingKey,
  stringToSign,
  type SigV4Credentials,
} from './signing-key.js';

/** A request to sign. */
export interface SignRequestInput {
  method: string;
  /** The full URL the request goes to, path and query percent-encoded as they will be sent. */
  url: string | URL;
  /** Headers to send and sign (names in any case). `host` comes from the URL. */
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  credentials: SigV4Credentials;
  region: string;
  /** Signing name of the service, `lambda` for the Lambda API. */
  service: string;
  /** Signing time, epoch ms. @default Date.now() */
  now?: number;
  /** Leave the body out of the signature (`x-amz-content-sha256: UNSIGNED-PAYLOAD`). @default false */
  unsignedPayload?: boolean;
}

/**
 * Signs a request with AWS Signature Version 4 the way the AWS SDK for JavaScript v3 signs Lambda
 * requests (path escaped again, `host` and every given header signed). Returns the headers to
 * send: the given ones (lowercased) plus `x-amz-date` and `authorization`. `host` is signed from
 * the URL but not returned: HTTP clients such as fetch set it from the URL themselves.
 */
export function signRequest(input: SignRequestInput): Record<string, string> {
  const url = typeof input.url === 'string' ? new URL(input.url) : input.url;
  const amzDate = formatAmzDate(input.now ?? Date.now());
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers ?? {})) headers[name.toLowerCase()] = value;
  delete headers['host'];
  delete headers['authorization'];
  headers['x-amz-date'] = amzDate;
  if (input.unsignedPayload) headers['x-amz-content-sha256'] = UNSIGNED_PAYLOAD;
  const signed = [...Object.keys(headers), 'host'].sort();
  const payloadHash = input.unsignedPayload ? UNSIGNED_PAYLOAD : input.body === undefined || input.body.length === 0 ? EMPTY_SHA256 : sha256Hex(input.body);
  const canonical = canonicalRequest({
    method: input.method.toUpperCase(),
    canonicalUri: canonicalUri(url.pathname),
    canonicalQuery: canonicalQuery(url.search.slice(1)),
    canonicalHeaders: canonicalHeaders({ ...headers, host: url.host }, signed),
    signedHeaders: signed.join(';'),
    payloadHash,
  });
  const date = amzDate.slice(0, 8);
  const scope = credentialScope(date, input.region, input.service);
  const signature = signatureOf(signingKey(input.credentials.secretAccessKey, date, input.region, input.service), stringToSign(amzDate, scope, canonical));
  headers['authorization'] = `${SIGV4_ALGORITHM} Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`;
  return headers;
}

/**
 * A presigned URL (SigV4's query-string form) for a request without headers of its own: the
 * signature and its parameters travel in the query, `host` is the only signed header, and the
 * body is hashed as for the header form (empty when omitted).
 */
export function presignUrl(input: Omit<SignRequestInput, 'headers' | 'unsignedPayload'> & { expiresSec: number }): string {
  const url = new URL(typeof input.url === 'string' ? input.url : input.url.href);
  const amzDate = formatAmzDate(input.now ?? Date.now());
  const date = amzDate.slice(0, 8);
  const scope = credentialScope(date, input.region, input.service);
  const params: Record<string, string> = {
    'X-Amz-Algorithm': SIGV4_ALGORITHM,
    'X-Amz-Credential': `${input.credentials.accessKeyId}/${scope}`,
    'X-Amz-Date': amzDate,
    'X-Amz-Expires': String(input.expiresSec),
    'X-Amz-SignedHeaders': 'host',
  };
  const extra = Object.entries(params).map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`).join('&');
  const query = url.search.length > 1 ? `${url.search.slice(1)}&${extra}` : extra;
  const canonical = canonicalRequest({
    method: input.method.toUpperCase(),
    canonicalUri: canonicalUri(url.pathname),
    canonicalQuery: canonicalQuery(query),
    canonicalHeaders: canonicalHeaders({ host: url.host }, ['host']),
    signedHeaders: 'host',
    payloadHash: input.body === undefined || input.body.length === 0 ? EMPTY_SHA256 : sha256Hex(input.body),
  });
  const signature = signatureOf(signingKey(input.credentials.secretAccessKey, date, input.region, input.service), stringToSign(amzDate, scope, canonical));
  return `${url.origin}${url.pathname}?${query}&X-Amz-Signature=${signature}`;
}
