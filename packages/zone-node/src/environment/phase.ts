import type { Clock, TimerHandle } from '@zonesim/common';

/** The reason an abort signal gives, as text. */
export function reasonOf(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r.message;
  return r === undefined ? 'aborted' : String(r);
}

/**
 * One phase of an execution environment (INIT, or an invocation) bounded on the clock: its timers
 * (the deadline, and for synthetic environments every planned step) and how an abort (the caller's
 * signal, or `destroy`) ends it early. Once over, nothing of it fires. Written once for every kind
 * (issue 17): the real runtimes' core waits on one (environment-core.ts), a synthetic environment
 * plans its steps on one (synthetic-environment.ts).
 */
export class Phase {
  readonly #clock: Clock;
  readonly #timers: TimerHandle[] = [];
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort: (reason: string) => void;
  readonly #listener = (): void => this.abort(this.#signal ? reasonOf(this.#signal) : 'aborted');
  #over = false;

  constructor(clock: Clock, signal: AbortSignal | undefined, onAbort: (reason: string) => void) {
    this.#clock = clock;
    this.#signal = signal;
    this.#onAbort = onAbort;
    signal?.addEventListener('abort', this.#listener, { once: true });
  }

  /** Runs `fn` `ms` from now, unless the phase is over by then. */
  at(ms: number, fn: () => void): void {
    this.#timers.push(this.#clock.setTimeout(() => this.#over || fn(), Math.max(0, ms)));
  }

  /** Ends the phase early; the abort handler builds its result. */
  abort(reason: string): void {
    if (this.#over) return;
    this.end();
    this.#onAbort(reason);
  }

  /** Ends the phase: clears what is left of its timers and its signal listener. */
  end(): void {
    this.#over = true;
    for (const t of this.#timers) this.#clock.clearTimeout(t);
    this.#signal?.removeEventListener('abort', this.#listener);
  }

  /** Applies a signal that was aborted before the phase began. */
  checkSignal(): void {
    if (this.#signal?.aborted) this.#listener();
  }
}
