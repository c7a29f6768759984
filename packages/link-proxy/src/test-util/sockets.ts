/**
 * Small real-socket helpers for the link-proxy tests: a target server that records what it is sent,
 * a client, and latches that wait for bytes or events (never fixed sleeps, except where a test must
 * show that something does NOT happen for a while).
 */
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** A TCP server on 127.0.0.1:0 that keeps its accepted sockets. */
export interface TargetServer {
  server: Server;
  port: number;
  sockets: Socket[];
  /** Resolves with the next accepted socket (or the one already accepted, by index). */
  accepted(index?: number): Promise<Socket>;
  close(): Promise<void>;
}

/** Starts a target; `onSocket` runs for each accepted socket (e.g. to echo). */
export async function startTarget(onSocket: (s: Socket) => void = () => {}): Promise<TargetServer> {
  const sockets: Socket[] = [];
  const waiters: { index: number; resolve: (s: Socket) => void }[] = [];
  const server = createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    sockets.push(s);
    onSocket(s);
    for (const w of waiters.filter((w) => w.index < sockets.length)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(sockets[w.index]!);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    server,
    port: (server.address() as AddressInfo).port,
    sockets,
    accepted(index = sockets.length) {
      const s = sockets[index];
      if (s) return Promise.resolve(s);
      return new Promise((resolve) => waiters.push({ index, resolve }));
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An echo target: every byte comes back. */
export function echo(s: Socket): void {
  s.pipe(s);
}

/** Connects to 127.0.0.1:`port`; resolves once connected. */
export async function dial(port: number): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  s.on('error', () => {});
  await once(s, 'connect');
  return s;
}

/** Collects everything a socket reads. */
export class Collector {
  readonly chunks: Buffer[] = [];
  bytes = 0;
  ended = false;
  #waiters: { n: number; resolve: () => void }[] = [];
  #endWaiters: (() => void)[] = [];

  constructor(socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.bytes += d.length;
      this.#waiters = this.#waiters.filter((w) => (this.bytes >= w.n ? (w.resolve(), false) : true));
    });
    socket.on('end', () => {
      this.ended = true;
      for (const w of this.#endWaiters) w();
    });
  }

  /** Resolves once at least `n` bytes were read. */
  atLeast(n: number): Promise<void> {
    if (this.bytes >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }

  /** Resolves once the peer's FIN was read. */
  end(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => this.#endWaiters.push(resolve));
  }

  text(): string {
    return Buffer.concat(this.chunks).toString();
  }

  buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Resolves with the socket's first error code or `'close'` if it closed without one. */
export function closeOutcome(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let code: string | undefined;
    socket.once('error', (err: NodeJS.ErrnoException) => (code ??= err.code ?? err.message));
    socket.once('close', () => resolve(code ?? 'close'));
  });
}

/** Waits up to `ms` for a condition that is driven by real I/O; rejects on timeout. */
export async function until(cond: () => boolean, ms = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lets real I/O run for `ms`: only to show that something does NOT happen meanwhile. */
export function quietFor(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
