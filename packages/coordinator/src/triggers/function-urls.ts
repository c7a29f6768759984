import type { Clock, Entropy, Logger } from '@zonesim/common';
import { DEFAULT_STREAM_RESPONSE_LIMIT_BYTES } from '@zonesim/protocol';
import type { SignedRequest, SigV4Verifier } from '../auth/sigv4-verifier.js';
import { LambdaApiError, resourceConflict } from '../errors.js';
import { functionArn } from '../registry/function-name.js';
import type { Registry } from '../registry/registry.js';
import { corsHeaders, newUrlId, parseUrlSettings, type FunctionUrlRecord } from './function-url-config.js';
import { httpEventV2, urlResponse, type UrlResponse } from './http-event.js';
import { UrlResponseStream, type UrlStreamOut } from './url-response-stream.js';
import type { TriggerInvocation, TriggerOutcome } from './trigger-invoker.js';
import type { TriggerStore } from './trigger-store.js';

/** Where function URLs are served on the coordinator: `<apiUrl>/zonesim/url/<url-id>/<path>`. */
export const FUNCTION_URL_PREFIX = '/zonesim/url/';

/** One request to a function URL, as values: what the HTTP route read of it. */
export interface FunctionUrlRequest {
  urlId: string;
  /** The path after the URL's root, and the query, as sent. */
  rawPath: string;
  rawQuery: string;
  method: string;
  /** The request target as sent (a presigned `AWS_IAM` request carries its signature there). */
  url: string;
  headers: SignedRequest['headers'];
  /** Name, value, name, value ... (repeats kept). */
  rawHeaders: readonly string[];
  body: Buffer;
  sourceIp: string;
  /** `HTTP/1.1`. */
  protocol: string;
}

const notFound = (): LambdaApiError => new LambdaApiError('ResourceNotFoundException', 404, 'The resource you requested does not exist.');

/**
 * Function URLs: the control plane (Create/Get/Update/Delete/ListFunctionUrlConfigs with Lambda's
 * shapes and status codes, persisted in `triggers.db`) and the data plane: an HTTP request to a URL
 * becomes the payload format 2.0 event, invokes the function synchronously through the router
 * (ledger type `FunctionUrl`), and its result becomes the HTTP answer. `AWS_IAM` URLs need a SigV4
 * signature for the service `lambda` (checked with the coordinator's key when authentication is
 * on; when it is off any signature is taken, as for the API). A `BUFFERED` URL answers once the
 * function has; a `RESPONSE_STREAM` one sends a streaming handler's bytes as it writes them
 * (url-response-stream.ts), and a handler that does not stream as a `BUFFERED` URL would.
 */
export class FunctionUrls {
  readonly #byKey = new Map<string, FunctionUrlRecord>();
  readonly #byId = new Map<string, FunctionUrlRecord>();
  readonly #store: TriggerStore;
  readonly #registry: Registry;
  readonly #invoke: (i: TriggerInvocation) => Promise<TriggerOutcome>;
  readonly #clock: Clock;
  readonly #entropy: Entropy;
  readonly #log: Logger;
  readonly #account: { region: string; accountId: string };
  readonly #baseUrl: () => string;
  readonly #verifier: SigV4Verifier | undefined;
  readonly #streamLimitBytes: number;

  constructor(args: {
    store: TriggerStore;
    registry: Registry;
    invoke: (i: TriggerInvocation) => Promise<TriggerOutcome>;
    clock: Clock;
    entropy: Entropy;
    log: Logger;
    account: { region: string; accountId: string };
    baseUrl: () => string;
    verifier?: SigV4Verifier | undefined;
    /** Most bytes a streamed response may have. @default 20 MiB */
    streamLimitBytes?: number;
  }) {
    this.#store = args.store;
    this.#registry = args.registry;
    this.#invoke = args.invoke;
    this.#clock = args.clock;
    this.#entropy = args.entropy;
    this.#log = args.log;
    this.#account = args.account;
    this.#baseUrl = args.baseUrl;
    this.#verifier = args.verifier;
    this.#streamLimitBytes = args.streamLimitBytes ?? DEFAULT_STREAM_RESPONSE_LIMIT_BYTES;
  }

  start(): void {
    for (const r of this.#store.all<FunctionUrlRecord>('function_urls')) this.#index(r);
    // A function's URLs go with it (Lambda deletes them with the function).
    this.#registry.onFunctionChanged((name) => {
      try {
        this.#registry.get(name);
      } catch {
        for (const r of [...this.#byKey.values()]) if (r.functionName === name) this.#remove(r);
      }
    });
  }

  /** The URL clients call. */
  urlOf(r: FunctionUrlRecord): string {
    return `${this.#baseUrl()}${FUNCTION_URL_PREFIX}${r.urlId}/`;
  }

  create(name: string, qualifier: string | undefined, body: Record<string, unknown>): Record<string, unknown> {
    this.#registry.get(name, qualifier);
    if (qualifier !== undefined) this.#registry.getAlias(name, qualifier);
    const s = parseUrlSettings(body, true);
    const key = keyOf(name, qualifier);
    const arn = functionArn(this.#account, name, qualifier);
    if (this.#byKey.has(key)) throw resourceConflict(`Failed to create function url config for [functionArn = ${arn}]. Error message:  FunctionUrlConfig exists for this Lambda function`);
    const now = this.#clock.now();
    const r: FunctionUrlRecord = {
      urlId: newUrlId(this.#entropy),
      functionName: name,
      ...(qualifier !== undefined ? { qualifier } : {}),
      authType: s.authType!,
      ...(s.cors ? { cors: s.cors } : {}),
      invokeMode: s.invokeMode ?? 'BUFFERED',
      createdAt: now,
      lastModified: now,
    };
    this.#store.put('function_urls', key, r);
    this.#index(r);
    this.#log.info({ function: name, qualifier, url: this.urlOf(r) }, 'function URL created');
    return { FunctionUrl: this.urlOf(r), FunctionArn: arn, AuthType: r.authType, ...(r.cors ? { Cors: r.cors } : {}), CreationTime: iso(r.createdAt), InvokeMode: r.invokeMode };
  }

  get(name: string, qualifier: string | undefined): Record<string, unknown> {
    return this.#config(this.#get(name, qualifier));
  }

  update(name: string, qualifier: string | undefined, body: Record<string, unknown>): Record<string, unknown> {
    const r = this.#get(name, qualifier);
    const s = parseUrlSettings(body, false);
    const next: FunctionUrlRecord = { ...r, ...s, lastModified: this.#clock.now() };
    this.#store.put('function_urls', keyOf(name, qualifier), next);
    this.#index(next);
    return this.#config(next);
  }

  delete(name: string, qualifier: string | undefined): void {
    this.#remove(this.#get(name, qualifier));
  }

  list(name: string, query: URLSearchParams): Record<string, unknown> {
    this.#registry.get(name);
    const all = [...this.#byKey.values()].filter((r) => r.functionName === name).sort((a, b) => (a.urlId < b.urlId ? -1 : 1));
    const max = Math.min(50, Math.max(1, Number(query.get('MaxItems') ?? 50) || 50));
    const marker = query.get('Marker');
    const from = marker ? all.findIndex((r) => r.urlId > marker) : 0;
    const page = from < 0 ? [] : all.slice(from, from + max);
    const more = from >= 0 && from + max < all.length;
    return { FunctionUrlConfigs: page.map((r) => this.#config(r)), ...(more ? { NextMarker: page.at(-1)!.urlId } : {}) };
  }

  /** True when `urlId` names a function URL (else the request gets Lambda's 404 without its body being read). */
  has(urlId: string): boolean {
    return this.#byId.has(urlId);
  }

  /**
   * Answers one request to a function URL, given as values (the HTTP route reads the body and
   * sends the answer): the function's answer, or Lambda's URL error answers (404, 403 for a bad
   * `AWS_IAM` signature, CORS preflight, 429, 502, 500). For a `RESPONSE_STREAM` URL a streaming
   * handler's answer goes to `out` as it is written; the result is then `streamed` (all sent) or
   * `cut` (the function or the platform failed after the head went out: the body ends short).
   */
  async answer(req: FunctionUrlRequest, requestId: string, out?: UrlStreamOut): Promise<UrlResponse | 'streamed' | 'cut'> {
    const receivedAt = this.#clock.now();
    const r = this.#byId.get(req.urlId);
    if (!r) return urlMessage(404, null);
    const origin = header(req.headers, 'origin');
    if (req.method === 'OPTIONS' && r.cors && header(req.headers, 'access-control-request-method')) {
      return { status: 200, headers: corsHeaders(r.cors, origin, true), body: Buffer.alloc(0) };
    }
    let iam: { accessKey: string; accountId: string } | undefined;
    if (r.authType === 'AWS_IAM') {
      iam = this.#checkIam(req);
      if (!iam) return urlMessage(403, 'Forbidden');
    }
    const event = httpEventV2(
      {
        method: req.method,
        rawPath: req.rawPath,
        rawQueryString: req.rawQuery,
        rawHeaders: req.rawHeaders,
        body: req.body,
        sourceIp: req.sourceIp,
        protocol: req.protocol,
        requestId,
        timeEpoch: receivedAt,
      },
      { urlId: r.urlId, region: this.#account.region, accountId: this.#account.accountId, ...(iam ? { iam } : {}) },
    );
    const cors = corsHeaders(r.cors, origin, false);
    const streaming = r.invokeMode === 'RESPONSE_STREAM' && out !== undefined ? new UrlResponseStream(out, cors) : undefined;
    const outcome = await this.#invoke({
      functionName: r.functionName,
      ...(r.qualifier !== undefined ? { qualifier: r.qualifier } : {}),
      payload: Buffer.from(JSON.stringify(event)),
      invocationType: 'FunctionUrl',
      requestId,
      ...(streaming ? { stream: { maxBytes: this.#streamLimitBytes, onChunk: (data, contentType) => streaming.chunk(data, contentType) } } : {}),
    });
    if (streaming && (streaming.started || streaming.broken)) {
      if (outcome.kind === 'success' && !streaming.broken) return 'streamed';
      if (!streaming.started) return { ...urlMessage(502, 'Internal Server Error'), headers: [['content-type', 'application/json'], ...cors] };
      return 'cut';
    }
    if (streaming && outcome.kind === 'success' && outcome.result.streamed) {
      streaming.end(outcome.result.contentType);
      if (streaming.started) return 'streamed';
      // The stream ended on a prelude that is not one.
      return { ...urlMessage(502, 'Internal Server Error'), headers: [['content-type', 'application/json'], ...cors] };
    }
    let answer: UrlResponse;
    if (outcome.kind === 'success') answer = urlResponse(outcome.payload);
    else if (outcome.kind === 'function-error') answer = urlMessage(502, 'Internal Server Error');
    else if (outcome.kind === 'throttled') answer = urlMessage(429, 'Rate Exceeded.');
    else answer = urlMessage(outcome.error.status === 404 ? 404 : 500, outcome.error.status === 404 ? null : 'Internal Server Error');
    answer.headers.push(...cors);
    return answer;
  }

  /** The caller of an `AWS_IAM` URL, or undefined (403). */
  #checkIam(req: FunctionUrlRequest): { accessKey: string; accountId: string } | undefined {
    const auth = header(req.headers, 'authorization') ?? '';
    const key = /Credential=([^/,\s]+)\//.exec(auth)?.[1] ?? new URL(req.url, 'http://x').searchParams.get('X-Amz-Credential')?.split('/')[0];
    if (!key) return undefined;
    if (this.#verifier) {
      try {
        this.#verifier.verify({ method: req.method, url: req.url, headers: req.headers }, req.body);
      } catch {
        return undefined;
      }
    }
    return { accessKey: key, accountId: this.#account.accountId };
  }

  #config(r: FunctionUrlRecord): Record<string, unknown> {
    return {
      FunctionUrl: this.urlOf(r),
      FunctionArn: functionArn(this.#account, r.functionName, r.qualifier),
      AuthType: r.authType,
      ...(r.cors ? { Cors: r.cors } : {}),
      CreationTime: iso(r.createdAt),
      LastModifiedTime: iso(r.lastModified),
      InvokeMode: r.invokeMode,
    };
  }

  #get(name: string, qualifier: string | undefined): FunctionUrlRecord {
    this.#registry.get(name);
    const r = this.#byKey.get(keyOf(name, qualifier));
    if (!r) throw notFound();
    return r;
  }

  #index(r: FunctionUrlRecord): void {
    this.#byKey.set(keyOf(r.functionName, r.qualifier), r);
    this.#byId.set(r.urlId, r);
  }

  #remove(r: FunctionUrlRecord): void {
    const key = keyOf(r.functionName, r.qualifier);
    this.#store.remove('function_urls', key);
    this.#byKey.delete(key);
    this.#byId.delete(r.urlId);
  }
}

function keyOf(name: string, qualifier: string | undefined): string {
  return qualifier === undefined ? name : `${name}:${qualifier}`;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** One of Lambda's URL error answers: `{"Message": text}` with `status`. */
export function urlMessage(status: number, text: string | null): UrlResponse {
  return { status, headers: [['content-type', 'application/json']], body: Buffer.from(JSON.stringify({ Message: text })) };
}

function header(headers: FunctionUrlRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
