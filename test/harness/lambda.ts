import { buildZip } from '@zonesim/code';

/** A Lambda API response as tests look at it. */
export interface ApiResponse {
  status: number;
  headers: Headers;
  /** `x-amzn-ErrorType`, when the answer is an error. */
  errorType: string | null;
  text: string;
  json: any;
}

/** Calls the Lambda REST API. */
export async function api(baseUrl: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, errorType: res.headers.get('x-amzn-errortype'), text, json };
}

/** Creates a function from files (zipped on the fly) and returns the CreateFunction response. */
export async function deploy(
  baseUrl: string,
  name: string,
  files: Record<string, string | Buffer>,
  config: Record<string, unknown> = {},
): Promise<ApiResponse> {
  const zip = await buildZip(files);
  return api(baseUrl, 'POST', '/2015-03-31/functions', {
    FunctionName: name,
    Runtime: 'nodejs20.x',
    Role: 'arn:aws:iam::000000000000:role/test',
    Handler: 'index.handler',
    Code: { ZipFile: Buffer.from(zip).toString('base64') },
    ...config,
  });
}

/** Invokes a function synchronously. */
export function invoke(baseUrl: string, name: string, payload: unknown = {}, headers: Record<string, string> = {}): Promise<ApiResponse> {
  return api(baseUrl, 'POST', `/2015-03-31/functions/${encodeURIComponent(name)}/invocations`, payload, headers);
}
