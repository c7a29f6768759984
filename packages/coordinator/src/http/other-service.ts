import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestTarget } from './request-target.js';

/**
 * Calls to AWS services this region does not run. Every environment gets `AWS_ENDPOINT_URL` aimed
 * at the coordinator (issue 17), so an SDK call from a handler to S3, DynamoDB or STS lands here
 * instead of at real AWS. It is answered at once with `501 NotImplemented`, naming the service, in
 * the error shape that service's SDK protocol reads (JSON with `x-amzn-ErrorType`, the query
 * protocol's XML, or S3's XML), so the handler sees a clear error rather than a parse failure.
 * SDKs do not retry a 501.
 */

/** The services the region serves; any other signed service is answered here. */
export const SERVED_SERVICES: ReadonlySet<string> = new Set(['lambda', 'sqs']);

const SCOPE = /Credential=[^/,\s]+\/\d{8}\/[^/,\s]+\/([^/,\s]+)\/aws4_request/;

/** The service a SigV4-signed request names in its credential scope (header or presigned query), if any. */
export function signedService(req: Pick<IncomingMessage, 'headers'>, target: RequestTarget): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') return SCOPE.exec(auth)?.[1];
  const credential = /(?:^|&)X-Amz-Credential=([^&]+)/.exec(target.rawQuery)?.[1];
  if (credential === undefined) return undefined;
  try {
    return /^[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request$/.exec(decodeURIComponent(credential))?.[1];
  } catch {
    return undefined;
  }
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Answers a call to `service` with 501 NotImplemented, in the shape its protocol parses. */
export function answerOtherService(service: string, req: IncomingMessage, res: ServerResponse, requestId: string): void {
  const message = `zonesim does not run the AWS service '${service.slice(0, 64)}': this region serves Lambda and SQS only, and calls from functions never leave it (docs/runtimes.md, Calls from functions).`;
  const type = String(req.headers['content-type'] ?? '');
  let body: string;
  let contentType: string;
  if (type.includes('json')) {
    body = JSON.stringify({ __type: 'NotImplemented', message });
    contentType = type.startsWith('application/x-amz-json') ? type : 'application/json';
  } else if (type.startsWith('application/x-www-form-urlencoded')) {
    body = `<ErrorResponse><Error><Type>Sender</Type><Code>NotImplemented</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
    contentType = 'text/xml';
  } else {
    body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NotImplemented</Code><Message>${escapeXml(message)}</Message><RequestId>${requestId}</RequestId></Error>`;
    contentType = 'application/xml';
  }
  // The request body is not read: close the connection after the answer rather than drain an upload.
  res.writeHead(501, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
    'x-amzn-errortype': 'NotImplemented',
    connection: 'close',
  });
  res.end(body);
}
