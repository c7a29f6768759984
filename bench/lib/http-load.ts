import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { Samples } from './stats.js';

/** One HTTP answer, body read in full. */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A keep-alive client: one `node:http` Agent with at most `maxSockets` connections. */
export class HttpClient {
  readonly agent: Agent;
  readonly #host: string;
  readonly #port: number;

  constructor(baseUrl: string, maxSockets: number) {
    const u = new URL(baseUrl);
    this.#host = u.hostname;
    this.#port = Number(u.port);
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, keepAliveMsecs: 30_000 });
  }

  /** Sends one request; resolves with the whole answer. */
  send(method: string, path: string, body?: Buffer, headers: Record<string, string | number> = {}): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.#host,
          port: this.#port,
          method,
          path,
          agent: this.agent,
          headers: body ? { 'content-type': 'application/json', 'content-length': body.length, ...headers } : headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** What one request of a load loop is. */
export interface LoadRequest {
  method: string;
  path: string;
  body?: Buffer;
  headers?: Record<string, string | number>;
  /** The status that counts as a success. @default 200 */
  okStatus?: number;
}

/** Sequential round trips, one at a time: latency of each (ms). Throws on an unexpected status. */
export async function sequential(client: HttpClient, req: LoadRequest, count: number, onAnswer?: (a: HttpAnswer) => void): Promise<Samples> {
  const samples = new Samples(count);
  const ok = req.okStatus ?? 200;
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const a = await client.send(req.method, req.path, req.body, req.headers);
    samples.add(performance.now() - t0);
    if (a.status !== ok) throw new Error(`${req.method} ${req.path}: status ${a.status}: ${a.body.toString().slice(0, 300)}`);
    onAnswer?.(a);
  }
  return samples;
}

/** Outcome of a fixed-concurrency load. */
export interface LoadResult {
  ok: number;
  failed: number;
  seconds: number;
  perSecond: number;
  latency: Samples;
  /** The first failure seen, for the report. */
  firstFailure?: string;
}

/**
 * `concurrency` loops, each sending its next request as soon as the last one is answered, for
 * `durationMs`. Counts answers with the expected status per second (failures are counted apart).
 */
export async function closedLoop(client: HttpClient, req: LoadRequest, concurrency: number, durationMs: number, signal?: AbortSignal): Promise<LoadResult> {
  const ok = req.okStatus ?? 200;
  const latency = new Samples(1 << 16);
  let good = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  const start = performance.now();
  const deadline = start + durationMs;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline && !signal?.aborted) {
      const t0 = performance.now();
      try {
        const a = await client.send(req.method, req.path, req.body, req.headers);
        if (a.status === ok) {
          good++;
          latency.add(performance.now() - t0);
        } else {
          failed++;
          firstFailure ??= `status ${a.status}: ${a.body.toString().slice(0, 300)}`;
        }
      } catch (err) {
        failed++;
        firstFailure ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const seconds = (performance.now() - start) / 1000;
  return { ok: good, failed, seconds, perSecond: good / seconds, latency, ...(firstFailure ? { firstFailure } : {}) };
}
