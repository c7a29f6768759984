import type { Duplex } from 'node:stream';

/**
 * Frames written to one socket in one event-loop iteration leave in one `writev`: the socket is
 * corked at the first write of the iteration and uncorked in the check phase of the same iteration
 * (`setImmediate`), so a lone frame waits only for the rest of the current poll phase. Profiling
 * found one write syscall per zone-link frame to be a quarter of the coordinator's time at 64
 * concurrent invokes (bench/profiling-notes.md). Order is unchanged (one socket, one queue), and
 * corked bytes count in a `ws` socket's `bufferedAmount`, so high-water checks still see them.
 */
export class TurnCork {
  #corked: Duplex | undefined;

  /**
   * Corks `socket` until this iteration's check phase, unless a socket is corked already. Without a
   * socket (a test double, a `ws` socket not yet attached) writes simply go one by one.
   */
  hold(socket: Duplex | null | undefined): void {
    if (this.#corked || !socket || socket.destroyed || typeof socket.cork !== 'function') return;
    socket.cork();
    this.#corked = socket;
    setImmediate(() => this.flush());
  }

  /** Writes what is corked now (also before a close frame, which must not wait behind a terminate). */
  flush(): void {
    const socket = this.#corked;
    if (!socket) return;
    this.#corked = undefined;
    socket.uncork();
  }
}

/** The TCP socket under a `ws` WebSocket (`_socket`, ws's own field), if it has one. */
export function wsRawSocket(ws: object): Duplex | null | undefined {
  return (ws as { _socket?: Duplex | null })._socket;
}
