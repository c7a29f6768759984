import type { ApiClient } from './api-client.js';
import { FEED_VERSION, type FeedMessage } from './feed-types.js';

/** Connection states the header shows. */
export type FeedState = 'connecting' | 'live' | 'reconnecting' | 'unauthorized';

/**
 * The page's end of the coordinator's feed (server-sent events). Every message is checked for
 * its `type` and version before the page uses it; a stream that closes is opened again with
 * backoff (with a freshly presigned URL when the API is signed), and gets a fresh `hello`.
 */
export class FeedClient {
  readonly #api: ApiClient;
  readonly #path: string;
  readonly #onMessage: (m: FeedMessage, bytes: number) => void;
  readonly #onState: (s: FeedState) => void;
  #source: EventSource | undefined;
  #retryMs = 500;
  #timer: number | undefined;

  constructor(args: { api: ApiClient; path: string; onMessage: (m: FeedMessage, bytes: number) => void; onState: (s: FeedState) => void }) {
    this.#api = args.api;
    this.#path = args.path;
    this.#onMessage = args.onMessage;
    this.#onState = args.onState;
  }

  open(): void {
    this.close();
    this.#onState('connecting');
    const source = new EventSource(this.#api.eventsUrl(this.#path));
    this.#source = source;
    source.onmessage = (e: MessageEvent<string>) => {
      let m: unknown;
      try {
        m = JSON.parse(e.data);
      } catch {
        return;
      }
      if (!isFeedMessage(m)) return;
      if (m.type === 'hello') {
        this.#retryMs = 500;
        this.#onState('live');
      }
      this.#onMessage(m, e.data.length);
    };
    source.onerror = () => {
      // CONNECTING: the browser retries by itself. CLOSED: refused (e.g. an expired presigned URL):
      // open again, later.
      if (source.readyState === EventSource.CLOSED) {
        this.#onState('reconnecting');
        this.#timer = window.setTimeout(() => this.open(), this.#retryMs);
        this.#retryMs = Math.min(this.#retryMs * 2, 10_000);
      } else this.#onState('reconnecting');
    };
  }

  close(): void {
    if (this.#timer !== undefined) window.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#source?.close();
    this.#source = undefined;
  }
}

function isFeedMessage(m: unknown): m is FeedMessage {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  if (o['type'] === 'hello') return o['v'] === FEED_VERSION && Array.isArray(o['history']) && typeof o['topology'] === 'object';
  return o['type'] === 'update' && typeof o['tick'] === 'object' && typeof o['topology'] === 'object';
}
