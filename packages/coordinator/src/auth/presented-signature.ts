import type { HeaderMap } from './canonical-request.js';
import { incompleteSignature } from './auth-errors.js';
import { SIGV4_ALGORITHM, formatAmzDate } from './signing-key.js';

/** What a request claims about its signature, from its `Authorization` header or presigned query. */
export interface PresentedSignature {
  accessKeyId: string;
  /** The credential scope's elements, as given. */
  scope: { date: string; region: string; service: string; terminator: string };
  /** Lowercase header names, in the order the signer listed them. */
  signedHeaders: string[];
  /** The hex signature, as given. */
  signature: string;
  /** The signing time, `yyyymmddThhmmssZ`. */
  amzDate: string;
  /** A presigned URL's lifetime in seconds (`X-Amz-Expires`); undefined for the header form. */
  expiresSec: number | undefined;
  /** True for the query-string form, whose canonical query leaves `X-Amz-Signature` out. */
  presigned: boolean;
}

/** The longest lifetime of a presigned URL SigV4 allows (7 days). */
export const MAX_PRESIGNED_EXPIRES_SEC = 604_800;

/**
 * Reads the signature a request presents: the `Authorization: AWS4-HMAC-SHA256 Credential=...,
 * SignedHeaders=..., Signature=...` header with `X-Amz-Date` (or `Date`), or the presigned query
 * (`X-Amz-Algorithm`, `X-Amz-Credential`, ...). Undefined when the request presents neither; a
 * form that is there but incomplete is `IncompleteSignatureException`.
 */
export function presentedSignature(headers: HeaderMap, query: URLSearchParams): PresentedSignature | undefined {
  const authorization = single(headers['authorization'])?.trim();
  if (authorization) return fromHeader(authorization, headers);
  if (query.has('X-Amz-Signature') || query.has('X-Amz-Algorithm')) return fromQuery(query);
  return undefined;
}

function fromHeader(authorization: string, headers: HeaderMap): PresentedSignature {
  const space = authorization.indexOf(' ');
  const algorithm = space < 0 ? authorization : authorization.slice(0, space);
  if (algorithm !== SIGV4_ALGORITHM) {
    throw incompleteSignature(`Unsupported Authorization algorithm '${algorithm.slice(0, 40)}'; zonesim accepts ${SIGV4_ALGORITHM} (Signature Version 4).`);
  }
  const fields = new Map<string, string>();
  for (const part of authorization.slice(space + 1).split(',')) {
    const item = part.trim();
    const eq = item.indexOf('=');
    if (eq > 0) fields.set(item.slice(0, eq), item.slice(eq + 1));
  }
  const problems = ['Credential', 'SignedHeaders', 'Signature']
    .filter((name) => !fields.get(name))
    .map((name) => `Authorization header requires '${name}' parameter.`);
  const amzDate = dateOf(headers);
  if (amzDate === undefined) problems.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (problems.length > 0) throw incompleteSignature(problems.join(' '));
  return {
    ...credentialOf(fields.get('Credential')!),
    signedHeaders: signedHeadersOf(fields.get('SignedHeaders')!),
    signature: fields.get('Signature')!,
    amzDate: amzDate!,
    expiresSec: undefined,
    presigned: false,
  };
}

function fromQuery(query: URLSearchParams): PresentedSignature {
  const names = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date', 'X-Amz-Expires'];
  const missing = names.filter((name) => !query.get(name));
  if (missing.length > 0) {
    throw incompleteSignature(`AWS query-string parameters must include ${missing.map((n) => `'${n}'`).join(', ')}. Re-examine the query-string parameters.`);
  }
  if (query.get('X-Amz-Algorithm') !== SIGV4_ALGORITHM) {
    throw incompleteSignature(`Unsupported X-Amz-Algorithm; zonesim accepts ${SIGV4_ALGORITHM} (Signature Version 4).`);
  }
  const expiresSec = Number(query.get('X-Amz-Expires'));
  if (!Number.isInteger(expiresSec) || expiresSec < 1 || expiresSec > MAX_PRESIGNED_EXPIRES_SEC) {
    throw incompleteSignature(`X-Amz-Expires must be an integer from 1 to ${MAX_PRESIGNED_EXPIRES_SEC} seconds.`);
  }
  return {
    ...credentialOf(query.get('X-Amz-Credential')!),
    signedHeaders: signedHeadersOf(query.get('X-Amz-SignedHeaders')!),
    signature: query.get('X-Amz-Signature')!,
    amzDate: query.get('X-Amz-Date')!,
    expiresSec,
    presigned: true,
  };
}

function credentialOf(credential: string): Pick<PresentedSignature, 'accessKeyId' | 'scope'> {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '')) {
    throw incompleteSignature(`Credential should have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential.slice(0, 200)}'.`);
  }
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  return { accessKeyId, scope: { date, region, service, terminator } };
}

function signedHeadersOf(list: string): string[] {
  const names = list.split(';');
  if (names.some((n) => n === '' || n !== n.toLowerCase())) {
    throw incompleteSignature(`SignedHeaders must be lowercase header names separated by ';', got '${list.slice(0, 200)}'.`);
  }
  // AWS refuses a signature that does not cover the Host header: without it, a request signed for
  // one endpoint could be replayed against another.
  if (!names.includes('host')) throw incompleteSignature("'Host' must be a 'SignedHeader' in the AWS Authorization.");
  return names;
}

/** `X-Amz-Date`, or the `Date` header turned into the same form (SigV4 allows either). */
function dateOf(headers: HeaderMap): string | undefined {
  const amz = single(headers['x-amz-date']);
  if (amz) return amz;
  const date = single(headers['date']);
  const ms = date ? Date.parse(date) : Number.NaN;
  return Number.isFinite(ms) ? formatAmzDate(ms) : undefined;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
