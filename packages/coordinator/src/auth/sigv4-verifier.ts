import { timingSafeEqual } from 'node:crypto';
import type { Clock } from '@zonesim/common';
import {
  EMPTY_SHA256,
  UNSIGNED_PAYLOAD,
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  type HeaderMap,
} from './canonical-request.js';
import { presentedSignature, type PresentedSignature } from './presented-signature.js';
import {
  SCOPE_TERMINATOR,
  credentialScope,
  formatAmzDate,
  parseAmzDate,
  sha256Hex,
  signatureOf,
  signingKey,
  stringToSign,
  type SigV4Credentials,
} from './signing-key.js';
import {
  incompleteSignature,
  invalidSignature,
  missingAuthenticationToken,
  signatureExpired,
  signatureMismatch,
  signatureNotYetCurrent,
  unrecognizedClient,
} from './auth-errors.js';

/** AWS refuses a signature whose time is more than 15 minutes off its own clock. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 15 * 60_000;

/** Settings of a {@link SigV4Verifier}. */
export interface SigV4VerifierSettings {
  /** The keys that may call; any other access key id is `UnrecognizedClientException`. */
  credentials: readonly SigV4Credentials[];
  /**
   * The service the credential scope must name: `lambda`, or per request (the coordinator also
   * serves SQS's JSON protocol, signed for `sqs`).
   */
  service: string | ((req: SignedRequest) => string);
  /** Largest difference between the request's time and the clock. @default 900000 (15 min) */
  maxClockSkewMs?: number;
}

/** What a signature covers of an HTTP request; `url` is the request target as sent (path and query, still encoded). */
export interface SignedRequest {
  method: string;
  url: string;
  headers: HeaderMap;
}

/** A request whose signature passed every check that does not need its body. */
export interface PendingVerification {
  /** False when the request declared its body unsigned (`x-amz-content-sha256: UNSIGNED-PAYLOAD`). */
  readonly needsBody: boolean;
  /** Checks the signature over `body` (empty when omitted); throws an `AuthenticationError` unless it holds. */
  verify(body?: Uint8Array): void;
  /**
   * The same, given the body's hex SHA-256 instead of the body (a server that hashed it as it
   * arrived, so that a large body is never hashed in one event-loop turn).
   */
  verifyDigest(bodySha256Hex: string): void;
}

/**
 * Checks AWS Signature Version 4 signatures (header or presigned form) against a fixed set of
 * keys, in two steps so that a server can refuse a request before reading its body: {@link check}
 * finds the signature, the key and the time; {@link PendingVerification.verify} hashes the body
 * and compares the signatures in constant time. Time comes from the injected clock.
 */
export class SigV4Verifier {
  readonly #secrets: ReadonlyMap<string, string>;
  readonly #service: string | ((req: SignedRequest) => string);
  readonly #maxSkewMs: number;
  readonly #clock: Clock;

  constructor(settings: SigV4VerifierSettings, components: { clock: Clock }) {
    this.#secrets = new Map(settings.credentials.map((c) => [c.accessKeyId, c.secretAccessKey]));
    this.#service = settings.service;
    this.#maxSkewMs = settings.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
    this.#clock = components.clock;
  }

  /** Both steps at once, for a request whose body is already in hand. */
  verify(req: SignedRequest, body?: Uint8Array): void {
    this.check(req).verify(body);
  }

  /**
   * Everything but the body: a signature is presented and complete, its key is known, its scope
   * names this service and its time is within the allowed skew (or its presigned lifetime).
   */
  check(req: SignedRequest): PendingVerification {
    const q = req.url.indexOf('?');
    const rawPath = q < 0 ? req.url : req.url.slice(0, q);
    const rawQuery = q < 0 ? '' : req.url.slice(q + 1);
    const query = new URLSearchParams(rawQuery);
    const presented = presentedSignature(req.headers, query);
    if (!presented) throw missingAuthenticationToken();
    const secret = this.#secrets.get(presented.accessKeyId);
    if (secret === undefined) throw unrecognizedClient();
    this.#checkScope(presented, typeof this.#service === 'string' ? this.#service : this.#service(req));
    this.#checkTime(presented);

    const declared = single(req.headers['x-amz-content-sha256']) ?? (presented.presigned ? (query.get('X-Amz-Content-Sha256') ?? undefined) : undefined);
    if (declared !== undefined && declared !== UNSIGNED_PAYLOAD && !/^[0-9a-f]{64}$/.test(declared)) {
      throw invalidSignature(`x-amz-content-sha256 must be ${UNSIGNED_PAYLOAD} or the hex SHA-256 of the body, got '${declared.slice(0, 80)}'.`);
    }
    const key = signingKey(secret, presented.scope.date, presented.scope.region, presented.scope.service);
    const scope = credentialScope(presented.scope.date, presented.scope.region, presented.scope.service);
    const signed = presented.signedHeaders;
    const unsigned = declared === UNSIGNED_PAYLOAD;
    const verifyDigest = (bodySha256Hex: string): void => {
      let payloadHash = UNSIGNED_PAYLOAD;
      if (!unsigned) {
        payloadHash = bodySha256Hex;
        if (declared !== undefined && declared !== payloadHash) {
          throw invalidSignature("The provided 'x-amz-content-sha256' header does not match what was computed.");
        }
      }
      const canonical = canonicalRequest({
        method: req.method,
        canonicalUri: canonicalUri(rawPath),
        canonicalQuery: canonicalQuery(rawQuery, presented.presigned ? 'X-Amz-Signature' : undefined),
        canonicalHeaders: canonicalHeaders(req.headers, signed),
        signedHeaders: signed.join(';'),
        payloadHash,
      });
      const expected = Buffer.from(signatureOf(key, stringToSign(presented.amzDate, scope, canonical)));
      const given = Buffer.from(presented.signature);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw signatureMismatch();
    };
    return {
      needsBody: !unsigned,
      verify: (body?: Uint8Array): void => verifyDigest(unsigned ? UNSIGNED_PAYLOAD : body === undefined || body.length === 0 ? EMPTY_SHA256 : sha256Hex(body)),
      verifyDigest,
    };
  }

  #checkScope(p: PresentedSignature, service: string): void {
    if (p.scope.terminator !== SCOPE_TERMINATOR) {
      throw invalidSignature(`Credential should be scoped with a valid terminator: '${SCOPE_TERMINATOR}', not '${p.scope.terminator.slice(0, 40)}'.`);
    }
    if (p.scope.service !== service) {
      throw invalidSignature(`Credential should be scoped to correct service: '${service}'.`);
    }
    // Any region is accepted: the signature covers the one the client names, and a local cluster
    // should not refuse a client configured for another region (docs/api.md).
  }

  #checkTime(p: PresentedSignature): void {
    const signedAt = parseAmzDate(p.amzDate);
    if (signedAt === undefined) {
      throw incompleteSignature(`Date must be in ISO-8601 'basic format'. Got '${p.amzDate.slice(0, 40)}'. See http://en.wikipedia.org/wiki/ISO_8601`);
    }
    if (p.scope.date !== p.amzDate.slice(0, 8)) {
      throw invalidSignature(
        `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${p.scope.date}' != '${p.amzDate.slice(0, 8)}', from '${p.amzDate}'.`,
      );
    }
    const now = this.#clock.now();
    const skew = windowText(this.#maxSkewMs);
    if (signedAt > now + this.#maxSkewMs) {
      throw signatureNotYetCurrent(p.amzDate, formatAmzDate(now + this.#maxSkewMs), formatAmzDate(now), skew);
    }
    // A presigned URL is good for its X-Amz-Expires; a signed header for the skew window.
    const lifetimeMs = p.expiresSec === undefined ? this.#maxSkewMs : p.expiresSec * 1000;
    if (signedAt < now - lifetimeMs) {
      throw signatureExpired(p.amzDate, formatAmzDate(now - lifetimeMs), formatAmzDate(now), p.expiresSec === undefined ? skew : `${p.expiresSec} sec`);
    }
  }
}

function windowText(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} sec`;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
