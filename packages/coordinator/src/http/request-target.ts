import { invalidParameter } from '../errors.js';

/**
 * The request target, parsed once per request (issue 15, finding 1). Every later decision (the
 * route, the authentication it needs, the function URL's path) reads this one result, so no two
 * parts of the front door can see different paths for the same request.
 *
 * The path is kept as the client sent it (still percent-encoded: handlers decode names), and is
 * refused rather than normalised when it could be read two ways:
 * - not in origin form (`*`, `http://host/...`, anything not starting with `/`);
 * - a malformed percent-encoding (`%zz`, `%` at the end) or one that is not UTF-8 (`%ff`);
 * - a `.` or `..` segment, plain or encoded (`%2e%2e`): a URL parser would resolve it, SigV4 signs
 *   the raw path, and a prefix check on the raw path would see another route;
 * - a backslash, a NUL or another control character, which some parsers treat as a separator.
 * Lambda's clients send none of these; each gets 400 `InvalidParameterValueException`.
 */
export interface RequestTarget {
  /** The raw path, validated (percent-encoded as sent). */
  readonly path: string;
  /** The raw query string without `?` ('' when none). */
  readonly rawQuery: string;
  /** The query, parsed. */
  readonly query: URLSearchParams;
}

const MALFORMED_PERCENT = /%(?![0-9A-Fa-f]{2})/;
// Control characters and the backslash; Node's parser already refuses spaces in the target.
const FORBIDDEN = /[\u0000-\u001f\u007f\\]/;

/** Parses and validates `rawUrl` (Node's `req.url`). Throws a 400 {@link LambdaApiError}. */
export function parseRequestTarget(rawUrl: string | undefined): RequestTarget {
  const raw = rawUrl ?? '/';
  if (!raw.startsWith('/')) throw badTarget('the request target must be a path starting with /');
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const rawQuery = q < 0 ? '' : raw.slice(q + 1);
  if (MALFORMED_PERCENT.test(path) || MALFORMED_PERCENT.test(rawQuery)) throw badTarget('malformed percent-encoding');
  if (FORBIDDEN.test(path)) throw badTarget('the path holds a control character or a backslash');
  for (const segment of path.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw badTarget('a percent-encoded sequence is not UTF-8');
    }
    if (decoded === '.' || decoded === '..') throw badTarget('dot segments (. or ..) are not allowed in the path');
    if (FORBIDDEN.test(decoded)) throw badTarget('the path holds an encoded control character or backslash');
  }
  return { path, rawQuery, query: new URLSearchParams(rawQuery) };
}

function badTarget(why: string) {
  return invalidParameter(`The request path is not valid: ${why}.`);
}
