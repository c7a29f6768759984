import type { HttpClient, LoadRequest } from './http-load.js';

/** One request of an open-loop load, times from `performance.now()` in this process. */
export interface OpenLoopOp {
  seq: number;
  /** When the schedule said to send it. */
  intendedAt: number;
  sentAt: number;
  endedAt: number;
  /** HTTP status, or null when no answer came (a connection error). */
  status: number | null;
  /** `x-zonesim-zone` of the answer (where it ran). */
  zone?: string;
  /** `x-amzn-errortype` of an error answer (without the `:` suffix), or the client error's code. */
  errorType?: string;
}

/**
 * Open-loop load: request i is sent at `start + i / rate` whether or not earlier ones have been
 * answered (a stalled server shows as latency and as requests in flight, not as a slower sender).
 * Every request's outcome is kept for analysis; `stop()` ends the sending and waits for the answers.
 */
export class OpenLoop {
  readonly ops: OpenLoopOp[] = [];
  readonly #client: HttpClient;
  readonly #req: LoadRequest;
  readonly #intervalMs: number;
  readonly #inFlight = new Set<Promise<void>>();
  #start = 0;
  #next = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(client: HttpClient, req: LoadRequest, ratePerSecond: number) {
    this.#client = client;
    this.#req = req;
    this.#intervalMs = 1000 / ratePerSecond;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  start(): void {
    this.#start = performance.now();
    this.#tick();
  }

  /** Stops sending; resolves with every request once all have been answered. */
  async stop(): Promise<OpenLoopOp[]> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    return this.ops;
  }

  #tick(): void {
    if (this.#stopped) return;
    const now = performance.now();
    // Everything due is sent now (a late timer sends a small burst, as a real open-loop client would).
    for (let at = this.#start + this.#next * this.#intervalMs; at <= now; at = this.#start + this.#next * this.#intervalMs) {
      this.#send(this.#next++, at);
    }
    const wait = this.#start + this.#next * this.#intervalMs - performance.now();
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, wait));
  }

  #send(seq: number, intendedAt: number): void {
    const sentAt = performance.now();
    const p = this.#client.send(this.#req.method, this.#req.path, this.#req.body, this.#req.headers).then(
      (a) => {
        const op: OpenLoopOp = { seq, intendedAt, sentAt, endedAt: performance.now(), status: a.status };
        const zone = a.headers['x-zonesim-zone'];
        if (typeof zone === 'string') op.zone = zone;
        const type = a.headers['x-amzn-errortype'];
        if (typeof type === 'string') op.errorType = type.split(':')[0]!;
        else if (a.status !== (this.#req.okStatus ?? 200)) op.errorType = `HTTP ${a.status}`;
        this.ops.push(op);
      },
      (err: NodeJS.ErrnoException) => {
        this.ops.push({ seq, intendedAt, sentAt, endedAt: performance.now(), status: null, errorType: err.code ?? 'ClientError' });
      },
    );
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }
}
