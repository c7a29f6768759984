/**
 * What Node's HTTP server will send as a header (its `validateHeaderName` / `validateHeaderValue`
 * rules, written out so that core code can check without `node:http`): a name is an RFC 9110
 * token, a value holds tabs, visible ASCII, spaces and Latin-1 bytes only. Anything else makes
 * `writeHead` throw, so values a function chose (a streamed response's content type, its
 * `HttpResponseStream` headers) are checked before they reach it.
 */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export function isSendableHeaderName(name: string): boolean {
  return TOKEN.test(name);
}

export function isSendableHeaderValue(value: string): boolean {
  return VALUE.test(value);
}

/** A function's content type when Node can send it, else Lambda's default for a stream. */
export function sendableContentType(contentType: string | undefined): string {
  return contentType !== undefined && contentType !== '' && isSendableHeaderValue(contentType) ? contentType : 'application/octet-stream';
}
