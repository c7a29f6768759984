import { presign, signHeaders, type Credentials } from './sigv4.js';

/** An API error as the page shows it: Lambda's error type and message. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const STORAGE_KEY = 'zonesim.dashboard.credentials';

/**
 * The page's calls to the coordinator's API, same origin. Without authentication they are plain
 * fetches; when the API requires SigV4, the teacher types an access key once (kept for the tab's
 * session only) and every call is signed, the event stream through a presigned URL.
 */
export class ApiClient {
  #credentials: Credentials | undefined;

  constructor() {
    try {
      const saved = sessionStorage.getItem(STORAGE_KEY);
      if (saved) this.#credentials = JSON.parse(saved) as Credentials;
    } catch {
      // Storage off: ask again.
    }
  }

  get signing(): boolean {
    return this.#credentials !== undefined;
  }

  setCredentials(c: Credentials | undefined): void {
    this.#credentials = c;
    try {
      if (c) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(c));
      else sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      // Storage off: kept in memory only.
    }
  }

  /** The event stream's URL (presigned for 10 minutes when signing; the stream re-presigns on reconnect). */
  eventsUrl(path: string): string {
    const url = new URL(path, location.href);
    return this.#credentials ? presign({ url, credentials: this.#credentials, expiresSec: 600 }) : url.href;
  }

  /** Calls the API; resolves with the JSON body, rejects with an {@link ApiError}. */
  async call<T>(method: string, path: string, body?: unknown, options: { signal?: AbortSignal } = {}): Promise<T> {
    const url = new URL(path, location.href);
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = text === undefined ? {} : { 'content-type': 'application/json' };
    if (this.#credentials) Object.assign(headers, signHeaders({ method, url, ...(text === undefined ? {} : { body: text }), credentials: this.#credentials }));
    const res = await fetch(url, { method, headers, ...(text === undefined ? {} : { body: text }), ...(options.signal ? { signal: options.signal } : {}) });
    const raw = await res.text();
    let json: unknown;
    try {
      json = raw ? JSON.parse(raw) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const b = (json ?? {}) as Record<string, unknown>;
      throw new ApiError(res.status, res.headers.get('x-amzn-errortype') ?? 'Error', String(b['message'] ?? b['Message'] ?? (raw.slice(0, 200) || res.statusText)));
    }
    return json as T;
  }
}
