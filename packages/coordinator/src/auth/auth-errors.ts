import { LambdaApiError } from '../errors.js';

/**
 * The refusals of AWS's front door for unauthenticated or badly signed requests, with its exception
 * names, statuses and messages. The SDK picks the exception class from `x-amzn-ErrorType`, so a
 * client with a wrong secret gets an `InvalidSignatureException`, as against AWS.
 */

/** AWS's signing errors are answered before the service sees the request: the body has a lowercase `message`. */
export class AuthenticationError extends LambdaApiError {
  override body(): Record<string, unknown> {
    return { ...this.extra, Type: 'User', message: this.message };
  }
}

/** 403: no `Authorization` header and no presigned query. */
export const missingAuthenticationToken = (): AuthenticationError =>
  new AuthenticationError('MissingAuthenticationTokenException', 403, 'Missing Authentication Token');

/** 403: the access key id is not one the coordinator knows. */
export const unrecognizedClient = (): AuthenticationError =>
  new AuthenticationError('UnrecognizedClientException', 403, 'The security token included in the request is invalid.');

/** 403: the signature does not match the one computed with the key's secret. */
export const signatureMismatch = (): AuthenticationError =>
  new AuthenticationError(
    'InvalidSignatureException',
    403,
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  );

/** 403: a well-formed signature that can never match (wrong service or terminator in the scope, dates that disagree). */
export const invalidSignature = (message: string): AuthenticationError =>
  new AuthenticationError('InvalidSignatureException', 403, message);

/**
 * 403: the request's time is too far behind the coordinator's clock, AWS's wording:
 * `Signature expired: 20150830T123600Z is now earlier than 20150830T124600Z (20150830T130100Z - 15 min.)`.
 */
export const signatureExpired = (amzDate: string, earliest: string, now: string, window: string): AuthenticationError =>
  new AuthenticationError('InvalidSignatureException', 403, `Signature expired: ${amzDate} is now earlier than ${earliest} (${now} - ${window}.)`);

/** 403: the request's time is too far ahead of the coordinator's clock. */
export const signatureNotYetCurrent = (amzDate: string, latest: string, now: string, window: string): AuthenticationError =>
  new AuthenticationError('InvalidSignatureException', 403, `Signature not yet current: ${amzDate} is still later than ${latest} (${now} + ${window}.)`);

/** 400: the `Authorization` header (or presigned query) is not a complete SigV4 signature (AWS's `IncompleteSignature`, 400). */
export const incompleteSignature = (message: string): AuthenticationError =>
  new AuthenticationError('IncompleteSignatureException', 400, message);
