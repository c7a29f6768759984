import { signRequest } from '@zonesim/coordinator';
import { AdminClient, HttpApiTransport, apiCredentialsFrom, isRunnerError, RunnerErrorCode, type AdminApiError } from '@zonesim/runner';

export { ACCESS_KEY_ID_ENV, SECRET_ACCESS_KEY_ENV, apiCredentialsFrom } from '@zonesim/runner';

/**
 * A minimal Lambda REST client for the CLI (the full AWS SDK is a test-time dependency only). It
 * speaks the same paths the SDK does, and signs with SigV4 when API credentials are configured.
 */

/**
 * `fetch` for the Lambda API: signed with SigV4 (service `lambda`, region `AWS_REGION` or
 * us-east-1) when {@link ACCESS_KEY_ID_ENV} and {@link SECRET_ACCESS_KEY_ENV} are set, plain otherwise.
 */
export function apiFetch(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
  const credentials = apiCredentialsFrom();
  const method = init.method ?? 'GET';
  const headers = credentials
    ? signRequest({
        method,
        url,
        headers: init.headers ?? {},
        ...(init.body === undefined ? {} : { body: init.body }),
        credentials,
        region: process.env['AWS_REGION'] ?? 'us-east-1',
        service: 'lambda',
      })
    : (init.headers ?? {});
  return fetch(url, { method, headers, ...(init.body === undefined ? {} : { body: init.body }) });
}
/**
 * Runs `use` with the typed admin client of the API at `endpointUrl`, signed like {@link apiFetch}.
 * An error status becomes `<what> answered HTTP <status> <type>`, the commands' wording.
 */
export async function withAdminClient<T>(endpointUrl: string, what: string, use: (admin: AdminClient) => Promise<T>): Promise<T> {
  const credentials = apiCredentialsFrom();
  const transport = new HttpApiTransport(endpointUrl.replace(/\/$/, ''), credentials ? { credentials } : {});
  try {
    return await use(new AdminClient(transport));
  } catch (err) {
    if (!isRunnerError(err, RunnerErrorCode.AdminApi)) throw err;
    const e = err as AdminApiError;
    throw new Error(`${what} answered HTTP ${e.status} ${e.errorType ?? ''}${e.body === undefined ? '' : `: ${JSON.stringify(e.body)}`}`.trim());
  } finally {
    transport.close();
  }
}

export interface InvokeOutcome {
  status: number;
  body: string;
  functionError: string | undefined;
  zone: string;
  node: string;
  environment: string;
  cold: boolean;
  initMs: number | undefined;
  durationMs: number;
  billedMs: number;
  maxMemoryUsedMb: number;
  /** Round trip seen by the client, ms. */
  latencyMs: number;
  logTail: string | undefined;
}

/** Creates a function from a zip (CreateFunction). */
export async function createFunction(apiUrl: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await apiFetch(`${apiUrl}/2015-03-31/functions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status !== 201) throw new Error(`CreateFunction failed: HTTP ${res.status} ${res.headers.get('x-amzn-errortype')}: ${JSON.stringify(json)}`);
  return json;
}

/** Invokes synchronously (Invoke, RequestResponse) and reads zonesim's placement headers. */
export async function invokeFunction(apiUrl: string, name: string, payload: unknown, options: { tail?: boolean } = {}): Promise<InvokeOutcome> {
  const started = performance.now();
  const res = await apiFetch(`${apiUrl}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(options.tail ? { 'x-amz-log-type': 'Tail' } : {}) },
    body: JSON.stringify(payload),
  });
  const body = await res.text();
  const latencyMs = performance.now() - started;
  if (res.status !== 200) throw new Error(`Invoke failed: HTTP ${res.status} ${res.headers.get('x-amzn-errortype')}: ${body}`);
  const h = (n: string): string => res.headers.get(n) ?? '';
  const log = res.headers.get('x-amz-log-result');
  return {
    status: res.status,
    body,
    functionError: res.headers.get('x-amz-function-error') ?? undefined,
    zone: h('x-zonesim-zone'),
    node: h('x-zonesim-node'),
    environment: h('x-zonesim-environment'),
    cold: h('x-zonesim-cold') === 'true',
    initMs: res.headers.has('x-zonesim-init-ms') ? Number(h('x-zonesim-init-ms')) : undefined,
    durationMs: Number(h('x-zonesim-duration-ms')),
    billedMs: Number(h('x-zonesim-billed-ms')),
    maxMemoryUsedMb: Number(h('x-zonesim-max-memory-used-mb')),
    latencyMs,
    logTail: log ? Buffer.from(log, 'base64').toString('utf8') : undefined,
  };
}
