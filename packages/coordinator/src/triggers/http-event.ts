/** What a function URL request looks like to the event builder (no sockets). */
export interface UrlRequest {
  method: string;
  /** Path as the function sees it (after zonesim's `/zonesim/url/<id>` prefix), starting with `/`. */
  rawPath: string;
  /** The query string as sent, without `?`. */
  rawQueryString: string;
  /** Node's `rawHeaders`: name, value, name, value ... (repeats kept). */
  rawHeaders: readonly string[];
  body: Buffer;
  sourceIp: string;
  protocol: string;
  requestId: string;
  /** Epoch ms it arrived. */
  timeEpoch: number;
}

/** Where the URL lives and who may call it. */
export interface UrlContext {
  urlId: string;
  region: string;
  accountId: string;
  /** The IAM caller for `AWS_IAM` URLs; absent (authorizer omitted) for `NONE`. */
  iam?: { accessKey: string; accountId: string };
}

/** Content types whose bodies reach the function as text; any other body is base64 (`isBase64Encoded`). */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const t = contentType.split(';')[0]!.trim().toLowerCase();
  return t.startsWith('text/') || /^application\/([\w.+-]+\+)?(json|xml|javascript|yaml|x-yaml)$/.test(t);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, the request context's `time`. */
function clf(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/**
 * The HTTP payload format 2.0 event a function URL sends (lambda-facts 7.3): header names lower
 * case and repeated values comma-joined, `Cookie` turned into `cookies`, repeated query values
 * comma-joined in `queryStringParameters` (absent without a query), a text body as is and any other
 * body base64 with `isBase64Encoded: true`.
 */
export function httpEventV2(r: UrlRequest, ctx: UrlContext): Record<string, unknown> {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < r.rawHeaders.length; i += 2) {
    const name = r.rawHeaders[i]!.toLowerCase();
    const value = r.rawHeaders[i + 1]!;
    if (name === 'cookie') {
      cookies.push(...value.split(';').map((c) => c.trim()).filter(Boolean));
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(r.rawQueryString)) query[k] = k in query ? `${query[k]},${v}` : v;
  const domainName = `${ctx.urlId}.lambda-url.${ctx.region}.on.aws`;
  const text = isTextContentType(headers['content-type']);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: r.rawPath,
    rawQueryString: r.rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: ctx.iam ? ctx.iam.accountId : 'anonymous',
      apiId: ctx.urlId,
      ...(ctx.iam
        ? { authorizer: { iam: { accessKey: ctx.iam.accessKey, accountId: ctx.iam.accountId, callerId: ctx.iam.accessKey, cognitoIdentity: null, principalOrgId: null, userArn: `arn:aws:iam::${ctx.iam.accountId}:user/zonesim`, userId: ctx.iam.accessKey } } }
        : {}),
      domainName,
      domainPrefix: ctx.urlId,
      http: { method: r.method, path: r.rawPath, protocol: r.protocol, sourceIp: r.sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: r.requestId,
      routeKey: '$default',
      stage: '$default',
      time: clf(r.timeEpoch),
      timeEpoch: r.timeEpoch,
    },
    ...(r.body.length > 0 ? { body: text ? r.body.toString('utf8') : r.body.toString('base64') } : {}),
    isBase64Encoded: r.body.length > 0 && !text,
  };
}

/** The HTTP answer a function's result maps to. */
export interface UrlResponse {
  status: number;
  /** Header pairs; `set-cookie` may repeat. */
  headers: Array<[string, string]>;
  body: Buffer;
}

/**
 * Maps a function's (successful) result to the HTTP answer as function URLs do: an object with a
 * `statusCode` is a response (`headers`, `cookies` -> `set-cookie`, `body`, `isBase64Encoded`);
 * any other JSON (an object without `statusCode`, a string, a number) is a 200 with
 * `content-type: application/json` and the JSON as the body (Lambda infers the format).
 */
export function urlResponse(payload: string | undefined): UrlResponse {
  const text = payload ?? 'null';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { status: 502, headers: [['content-type', 'application/json']], body: Buffer.from('{"Message":"Internal Server Error"}') };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('statusCode' in value)) {
    return { status: 200, headers: [['content-type', 'application/json']], body: Buffer.from(text) };
  }
  const v = value as Record<string, unknown>;
  const status = Number(v['statusCode']);
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    return { status: 502, headers: [['content-type', 'application/json']], body: Buffer.from('{"Message":"Internal Server Error"}') };
  }
  const headers: Array<[string, string]> = [];
  const h = v['headers'];
  if (typeof h === 'object' && h !== null) {
    for (const [k, x] of Object.entries(h as Record<string, unknown>)) {
      if (x !== undefined && x !== null) headers.push([k.toLowerCase(), String(x)]);
    }
  }
  if (Array.isArray(v['cookies'])) for (const c of v['cookies']) headers.push(['set-cookie', String(c)]);
  const rawBody = v['body'];
  const bodyText = rawBody === undefined || rawBody === null ? '' : typeof rawBody === 'string' ? rawBody : JSON.stringify(rawBody);
  const body = v['isBase64Encoded'] === true ? Buffer.from(bodyText, 'base64') : Buffer.from(bodyText, 'utf8');
  return { status, headers, body };
}
