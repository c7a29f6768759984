import type { IncomingMessage } from 'node:http';
import { receiveBody } from '../http/body.js';
import { replayRequest } from './replayed-request.js';
import type { SigV4Verifier } from './sigv4-verifier.js';

/**
 * The API server's gate when SigV4 authentication is on. A request is checked as far as possible
 * before its body is read (signature present and complete, key known, time current), so an
 * unknown caller cannot make the coordinator buffer anything; then the body is read, bounded by
 * `maxBodyBytes` (413 `RequestTooLargeException` above it) and hashed as it arrives, the signature
 * checked, and the routes get a request that serves the same body again.
 */
export class RequestAuthenticator {
  readonly #verifier: SigV4Verifier;
  readonly #maxBodyBytes: number;

  constructor(verifier: SigV4Verifier, settings: { maxBodyBytes: number }) {
    this.#verifier = verifier;
    this.#maxBodyBytes = settings.maxBodyBytes;
  }

  /** Resolves with the request to route, or rejects with the AWS error to answer. */
  async authenticate(req: IncomingMessage): Promise<IncomingMessage> {
    let pending;
    try {
      pending = this.#verifier.check({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers });
    } catch (err) {
      // The body is never read: drain it so the connection can carry the next request.
      req.resume();
      throw err;
    }
    if (!pending.needsBody) {
      pending.verify();
      return req;
    }
    // Hashed chunk by chunk as it arrives: a 67 MB CreateFunction hashed in one pass would block
    // the event loop for a few hundred milliseconds (issue 15, finding 4).
    const body = await receiveBody(req, this.#maxBodyBytes, `${req.method ?? 'GET'} ${pathOf(req.url)}`, { sha256: true });
    pending.verifyDigest(body.sha256Hex!);
    return replayRequest(req, body);
  }
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return (q < 0 ? raw : raw.slice(0, q)).slice(0, 200);
}
