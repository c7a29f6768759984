import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '@zonesim/common';

/** Bounds of an {@link SseHub}. */
export interface SseHubSettings {
  maxClients: number;
  /** A client whose socket buffers more than this misses messages until it drains. */
  maxBufferedBytes: number;
  /** A client stalled past the bound this long is disconnected. */
  stallMs: number;
}

interface Client {
  res: ServerResponse;
  stalledSince: number | undefined;
}

/** Counters of an {@link SseHub}. */
export interface SseHubStats {
  clients: number;
  messages: number;
  /** Messages a slow client missed (its buffer was over the bound). */
  skipped: number;
  /** Clients disconnected for staying slow. */
  disconnected: number;
}

/**
 * Server-sent events to the dashboard pages. SSE and not a WebSocket: one-way is all the page
 * needs (its controls are ordinary API calls), it rides the coordinator's node:http server and its
 * request authentication (a presigned URL when SigV4 is on), and browsers reconnect by themselves.
 * Every message is serialised once for all clients; a client whose socket buffer passes the bound
 * misses messages (counted) instead of growing memory, and is dropped if it stays slow.
 */
export class SseHub {
  readonly #settings: SseHubSettings;
  readonly #clock: Clock;
  readonly #clients = new Set<Client>();
  readonly #stats = { messages: 0, skipped: 0, disconnected: 0 };

  constructor(settings: SseHubSettings, clock: Clock) {
    this.#settings = settings;
    this.#clock = clock;
  }

  get size(): number {
    return this.#clients.size;
  }

  get stats(): SseHubStats {
    return { clients: this.#clients.size, ...this.#stats };
  }

  /** Starts an event stream on `res` with `first` as its first message; false when full (nothing written). */
  add(req: IncomingMessage, res: ServerResponse, first: string, requestId: string): boolean {
    if (this.#clients.size >= this.#settings.maxClients) return false;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-amzn-requestid': requestId,
    });
    req.socket.setNoDelay(true);
    // The page reconnects 1 s after a lost stream (and gets a fresh `hello`).
    res.write('retry: 1000\n\n');
    res.write(frame(first));
    const client: Client = { res, stalledSince: undefined };
    this.#clients.add(client);
    const remove = (): void => void this.#clients.delete(client);
    res.once('close', remove);
    req.once('close', remove);
    return true;
  }

  /** Sends one message (JSON text) to every client. */
  broadcast(data: string): void {
    if (this.#clients.size === 0) return;
    const text = frame(data);
    const now = this.#clock.monotonic();
    this.#stats.messages++;
    for (const c of this.#clients) {
      if (c.res.writableLength > this.#settings.maxBufferedBytes) {
        this.#stats.skipped++;
        c.stalledSince ??= now;
        if (now - c.stalledSince > this.#settings.stallMs) {
          this.#stats.disconnected++;
          this.#clients.delete(c);
          c.res.destroy();
        }
        continue;
      }
      c.stalledSince = undefined;
      c.res.write(text);
    }
  }

  /** Ends every stream (the coordinator is stopping). */
  closeAll(): void {
    for (const c of this.#clients) c.res.end();
    this.#clients.clear();
  }
}

function frame(data: string): string {
  // JSON.stringify never emits a raw newline, so the message is one `data:` line.
  return `data: ${data}\n\n`;
}
