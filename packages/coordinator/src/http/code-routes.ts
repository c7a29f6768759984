import { createReadStream } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CodeStore } from '@zonesim/code';
import { LambdaApiError, resourceNotFound } from '../errors.js';
import type { Registry } from '../registry/registry.js';
import { sendError } from './respond.js';

/** Where zone nodes fetch code packages: `GET /zonesim/v1/code/<sha256 hex>`. */
export const CODE_PREFIX = '/zonesim/v1/code/';

/** Zone nodes fetch packages here, presenting the cluster token as a bearer token. */
export async function serveCodeToZoneNode(
  deps: { registry: Registry; clusterToken: string },
  req: IncomingMessage,
  res: ServerResponse,
  sha: string,
  requestId: string,
): Promise<void> {
  req.resume();
  const auth = req.headers.authorization ?? '';
  const given = Buffer.from(auth.startsWith('Bearer ') ? auth.slice(7) : '');
  const expected = Buffer.from(deps.clusterToken);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new LambdaApiError('AccessDeniedException', 403, 'A valid cluster token is required to fetch code.');
  }
  if (!/^[0-9a-f]{64}$/.test(sha)) throw resourceNotFound(`No code with SHA-256 ${sha.slice(0, 80)}`);
  return serveBlob(deps.registry.codeStore, res, sha, requestId);
}

/** Streams one stored package as `application/zip`. */
export async function serveBlob(store: CodeStore, res: ServerResponse, sha: string, requestId: string): Promise<void> {
  if (!(await store.has(sha))) throw resourceNotFound(`No code with SHA-256 ${sha}`);
  const stream = createReadStream(store.path(sha));
  stream.once('open', () => {
    res.writeHead(200, { 'content-type': 'application/zip', 'x-amzn-requestid': requestId });
    stream.pipe(res);
  });
  stream.once('error', (err) => sendError(res, resourceNotFound(`No code with SHA-256 ${sha}: ${err.message}`), requestId));
}
