import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock, Entropy, Logger } from '@zonesim/common';
import { MAX_SYNC_PAYLOAD_BYTES } from '@zonesim/protocol';
import type { SigV4Verifier } from '../auth/sigv4-verifier.js';
import { LambdaApiError, resourceConflict } from '../errors.js';
import { readBody } from '../http/body.js';
import { functionArn } from '../registry/function-name.js';
import type { Registry } from '../registry/registry.js';
import { corsHeaders, newUrlId, parseUrlSettings, type FunctionUrlRecord } from './function-url-config.js';
import { httpEventV2, urlResponse, type UrlResponse } from './http-event.js';
import type { TriggerInvocation, TriggerOutcome } from './trigger-invoker.js';
import type { TriggerStore } from './trigger-store.js';

/** Where function URLs are served on the coordinator: `<apiUrl>/zonesim/url/<url-id>/<path>`. */
export const FUNCTION_URL_PREFIX = '/zonesim/url/';

const notFound = (): LambdaApiError => new LambdaApiError('ResourceNotFoundException', 404, 'The resource you requested does not exist.');

/**
 * Function URLs: the control plane (Create/Get/Update/Delete/ListFunctionUrlConfigs with Lambda's
 * shapes and status codes, persisted in `triggers.db`) and the data plane: an HTTP request to a URL
 * becomes the payload format 2.0 event, invokes the function synchronously through the router
 * (ledger type `FunctionUrl`), and its result becomes the HTTP answer. `AWS_IAM` URLs need a SigV4
 * signature for the service `lambda` (checked with the coordinator's key when authentication is
 * on; when it is off any signature is taken, as for the API). Responses are buffered, also for
 * `InvokeMode: RESPONSE_STREAM`.
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

  /** Serves one request to a function URL: the function's answer, or Lambda's URL error answers. */
  async serve(req: IncomingMessage, res: ServerResponse, target: { urlId: string; rawPath: string; rawQuery: string }, requestId: string): Promise<void> {
    const receivedAt = this.#clock.now();
    const r = this.#byId.get(target.urlId);
    if (!r) {
      req.resume();
      return send(res, { status: 404, headers: [['content-type', 'application/json']], body: Buffer.from('{"Message":null}') }, requestId);
    }
    let body: Buffer;
    try {
      body = await readBody(req, MAX_SYNC_PAYLOAD_BYTES, 'function URL');
    } catch {
      return send(res, message(413, 'Request must be smaller than 6291456 bytes for the InvokeFunction operation'), requestId);
    }
    const origin = header(req, 'origin');
    if (req.method === 'OPTIONS' && r.cors && header(req, 'access-control-request-method')) {
      return send(res, { status: 200, headers: corsHeaders(r.cors, origin, true), body: Buffer.alloc(0) }, requestId);
    }
    let iam: { accessKey: string; accountId: string } | undefined;
    if (r.authType === 'AWS_IAM') {
      iam = this.#checkIam(req, body);
      if (!iam) return send(res, message(403, 'Forbidden'), requestId);
    }
    const event = httpEventV2(
      {
        method: req.method ?? 'GET',
        rawPath: target.rawPath,
        rawQueryString: target.rawQuery,
        rawHeaders: req.rawHeaders,
        body,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        protocol: `HTTP/${req.httpVersion}`,
        requestId,
        timeEpoch: receivedAt,
      },
      { urlId: r.urlId, region: this.#account.region, accountId: this.#account.accountId, ...(iam ? { iam } : {}) },
    );
    const outcome = await this.#invoke({
      functionName: r.functionName,
      ...(r.qualifier !== undefined ? { qualifier: r.qualifier } : {}),
      payload: Buffer.from(JSON.stringify(event)),
      invocationType: 'FunctionUrl',
      requestId,
    });
    let answer: UrlResponse;
    if (outcome.kind === 'success') answer = urlResponse(outcome.payload);
    else if (outcome.kind === 'function-error') answer = message(502, 'Internal Server Error');
    else if (outcome.kind === 'throttled') answer = message(429, 'Rate Exceeded.');
    else answer = message(outcome.error.status === 404 ? 404 : 500, outcome.error.status === 404 ? null : 'Internal Server Error');
    answer.headers.push(...corsHeaders(r.cors, origin, false));
    send(res, answer, requestId);
  }

  /** The caller of an `AWS_IAM` URL, or undefined (403). */
  #checkIam(req: IncomingMessage, body: Buffer): { accessKey: string; accountId: string } | undefined {
    const auth = header(req, 'authorization') ?? '';
    const key = /Credential=([^/,\s]+)\//.exec(auth)?.[1] ?? new URL(req.url ?? '/', 'http://x').searchParams.get('X-Amz-Credential')?.split('/')[0];
    if (!key) return undefined;
    if (this.#verifier) {
      try {
        this.#verifier.verify({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers }, body);
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

function message(status: number, text: string | null): UrlResponse {
  return { status, headers: [['content-type', 'application/json']], body: Buffer.from(JSON.stringify({ Message: text })) };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function send(res: ServerResponse, a: UrlResponse, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of a.headers) {
    const prev = headers[k];
    headers[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : k === 'set-cookie' ? [prev, v] : v;
  }
  headers['content-length'] = String(a.body.length);
  headers['x-amzn-requestid'] = requestId;
  res.writeHead(a.status, headers);
  res.end(a.body);
}
