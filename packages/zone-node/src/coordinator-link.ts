import { EventEmitter } from 'node:events';
import { SilenceDetector, type Clock, type Entropy, type Logger, type TimerHandle } from '@zonesim/common';
import {
  CloseCode,
  closeReason,
  FATAL_CLOSE_CODES,
  closeCodeName,
  parseCoordinatorFrame,
  type Codec,
  type CoordinatorMessage,
  type Dialer,
  type LinkConnection,
  type Hello,
  type Welcome,
  type ZoneMessage,
} from '@zonesim/protocol';

/** Settings of the link. */
export interface CoordinatorLinkSettings {
  url: string;
  connectTimeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  heartbeatMissLimit: number;
  maxFrameBytes: number;
}

/** States of the link. */
export type LinkState = 'idle' | 'connecting' | 'connected' | 'backoff' | 'stopped';

/**
 * The zone node's session with the coordinator, over whatever its {@link Dialer} connects (a
 * WebSocket in a real process, an in-memory link in virtual time). It sends `hello`, waits for `welcome`,
 * answers pings, sends heartbeats at the interval the coordinator asked for, and drops the link when
 * the coordinator goes silent for `heartbeatMissLimit` intervals. A lost link is re-dialled with
 * exponential backoff and jitter, forever, except after a fatal refusal (wrong token or protocol
 * version), which is reported with `fatal` because retrying cannot help.
 *
 * Events: `connected(welcome)`, `message(msg)` (every validated frame after welcome),
 * `disconnected(code, reason)`, `fatal(code, reason)`.
 */
export class CoordinatorLink extends EventEmitter {
  readonly #settings: CoordinatorLinkSettings;
  readonly #hello: () => Hello;
  readonly #heartbeat: () => Omit<Extract<ZoneMessage, { type: 'heartbeat' }>, 'type' | 'seq' | 'sentAt'>;
  readonly #codec: Codec;
  readonly #clock: Clock;
  readonly #entropy: Entropy;
  readonly #log: Logger;
  #state: LinkState = 'idle';
  readonly #dialer: Dialer;
  #connection: LinkConnection | undefined;
  /** The current connection is open (frames may be sent). */
  #open = false;
  #attempt = 0;
  #timers = new Set<TimerHandle>();
  #heartbeatTimer: TimerHandle | undefined;
  #lastFrameAt = 0;
  #seq = 0;
  #intervalMs = 1000;

  constructor(args: {
    settings: CoordinatorLinkSettings;
    hello: () => Hello;
    heartbeat: () => Omit<Extract<ZoneMessage, { type: 'heartbeat' }>, 'type' | 'seq' | 'sentAt'>;
    codec: Codec;
    /** Opens the connection (WsDialer in a real process). */
    dialer: Dialer;
    clock: Clock;
    /** Redial jitter. */
    entropy: Entropy;
    log: Logger;
  }) {
    super();
    this.#settings = args.settings;
    this.#hello = args.hello;
    this.#heartbeat = args.heartbeat;
    this.#codec = args.codec;
    this.#dialer = args.dialer;
    this.#clock = args.clock;
    this.#entropy = args.entropy;
    this.#log = args.log;
  }

  get state(): LinkState {
    return this.#state;
  }

  /** Starts dialling; resolves at once (use the `connected` event to wait for the session). */
  start(): void {
    if (this.#state !== 'idle') return;
    this.#dial();
  }

  /** Closes the link for good. */
  stop(code: number = CloseCode.GoingAway, reason = 'zone node stopping'): void {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    for (const t of this.#timers) this.#clock.clearTimeout(t);
    this.#timers.clear();
    this.#stopHeartbeat();
    const connection = this.#connection;
    if (connection) {
      connection.close(code, closeReason(reason));
      this.#later(() => connection.terminate(), 1000);
    }
  }

  /**
   * Drops the link as a killed process would (simulated SIGKILL): no close frame, nothing sent, no
   * redial, no `disconnected` event; the connection is terminated and every timer cleared.
   */
  abandon(): void {
    this.#state = 'stopped';
    for (const t of this.#timers) this.#clock.clearTimeout(t);
    this.#timers.clear();
    this.#stopHeartbeat();
    const connection = this.#connection;
    this.#connection = undefined;
    this.#open = false;
    connection?.terminate();
  }

  /**
   * Sends one message; returns false when the link is down (the message is dropped: results of
   * invocations whose link was lost are failed by the coordinator, which never waits for them).
   */
  send(message: ZoneMessage): boolean {
    return this.#write(message);
  }

  /**
   * Sends one message and resolves once it has left this process (written to the socket, after
   * this iteration's frames were coalesced; in virtual time, entered the network): true then, false when the link is down or the write
   * failed. For frames whose delivery must come before what the node does next.
   */
  sendWritten(message: ZoneMessage): Promise<boolean> {
    return new Promise((resolve) => {
      if (!this.#write(message, (err) => resolve(!err))) resolve(false);
    });
  }

  /** Sends one frame; false when the link is down. */
  #write(message: ZoneMessage, onWritten?: (err?: Error) => void): boolean {
    const connection = this.#connection;
    if (!connection || !this.#open || this.#state !== 'connected') return false;
    connection.send(this.#codec.encode(message), onWritten);
    return true;
  }

  /** Bytes queued on the connection, for backpressure reporting. */
  get bufferedAmount(): number {
    return this.#connection?.bufferedAmount ?? 0;
  }

  #dial(): void {
    if (this.#state === 'stopped') return;
    this.#state = 'connecting';
    this.#open = false;
    let welcomed = false;
    let connection: LinkConnection | undefined;
    const welcomeTimer = this.#later(() => {
      if (!welcomed) {
        this.#log.warn({ url: this.#settings.url }, 'no welcome in time; redialling');
        connection?.terminate();
      }
    }, this.#settings.connectTimeoutMs);
    connection = this.#dialer.dial(this.#settings.url, {
      opened: () => {
        if (this.#connection !== connection) return;
        this.#open = true;
        this.#lastFrameAt = this.#clock.monotonic();
        connection!.send(this.#codec.encode(this.#hello()));
      },
      frame: (frame, binary) => {
        if (this.#connection !== connection) return;
        this.#lastFrameAt = this.#clock.monotonic();
        if (!binary) {
          connection!.close(CloseCode.Malformed, 'text frames are not part of the protocol');
          return;
        }
        const parsed = parseCoordinatorFrame(this.#codec, frame);
        if (!parsed.ok) {
          this.#log.warn({ reason: parsed.reason }, 'malformed frame from coordinator; closing link');
          connection!.close(CloseCode.Malformed, closeReason(parsed.reason));
          return;
        }
        const message = parsed.message;
        if (!welcomed) {
          if (message.type === 'welcome') {
            welcomed = true;
            this.#clock.clearTimeout(welcomeTimer);
            this.#onWelcome(message);
            return;
          }
          if (message.type === 'error') {
            this.#log.error({ code: message.error.code, message: message.error.message }, 'coordinator refused this node');
            return;
          }
        }
        if (message.type === 'ping') {
          this.send({ type: 'pong', seq: message.seq, sentAt: this.#clock.now() });
          return;
        }
        this.emit('message', message satisfies CoordinatorMessage);
      },
      closed: (code, reason) => {
        this.#clock.clearTimeout(welcomeTimer);
        if (this.#connection !== connection) return;
        this.#stopHeartbeat();
        const wasConnected = this.#state === 'connected';
        this.#connection = undefined;
        this.#open = false;
        if (wasConnected) this.emit('disconnected', code, reason);
        if (this.#state === 'stopped') return;
        if (FATAL_CLOSE_CODES.has(code)) {
          this.#log.error({ code, codeName: closeCodeName(code), reason }, 'coordinator refused this node for good');
          this.#state = 'stopped';
          this.emit('fatal', code, reason);
          return;
        }
        this.#scheduleRedial(code, reason);
      },
    });
    this.#connection = connection;
  }

  #onWelcome(welcome: Welcome): void {
    this.#state = 'connected';
    this.#attempt = 0;
    this.#intervalMs = welcome.heartbeatIntervalMs;
    this.#startHeartbeat();
    this.#log.info({ sessionId: welcome.sessionId, heartbeatIntervalMs: welcome.heartbeatIntervalMs }, 'registered with coordinator');
    this.emit('connected', welcome);
  }

  #startHeartbeat(): void {
    this.#stopHeartbeat();
    // The coordinator is judged like the coordinator judges nodes (one detector, both ends); a tick
    // that came late because this process was paused (SIGSTOP, a long GC) judges nothing.
    const silence = new SilenceDetector({ intervalMs: this.#intervalMs, tickMs: this.#intervalMs, downAfterIntervals: this.#settings.heartbeatMissLimit });
    this.#heartbeatTimer = this.#clock.setInterval(() => {
      const now = this.#clock.monotonic();
      const silent = now - this.#lastFrameAt;
      const pausedMs = silence.tick(now);
      if (pausedMs > 0) this.#log.warn({ lateMs: Math.round(pausedMs) }, 'this node was paused; judging the coordinator on the next tick');
      else if (silence.judge(silent) === 'down') {
        this.#log.warn({ silentMs: Math.round(silent) }, 'coordinator silent; dropping link');
        this.#connection?.terminate();
        return;
      }
      this.send({ type: 'heartbeat', seq: this.#seq++, sentAt: this.#clock.now(), ...this.#heartbeat() });
    }, this.#intervalMs);
  }

  #stopHeartbeat(): void {
    if (this.#heartbeatTimer) this.#clock.clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
  }

  #scheduleRedial(code: number, reason: string): void {
    this.#state = 'backoff';
    const base = Math.min(this.#settings.reconnectMaxMs, this.#settings.reconnectMinMs * 2 ** this.#attempt);
    // Full jitter keeps a whole zone of nodes from redialling in lock-step after a coordinator restart.
    const wait = Math.round(base / 2 + this.#entropy.random() * (base / 2));
    this.#attempt = Math.min(this.#attempt + 1, 30);
    this.#log.info({ code, codeName: closeCodeName(code), reason, retryInMs: wait }, 'link down; redialling');
    this.#later(() => this.#dial(), wait);
  }

  #later(fn: () => void, ms: number): TimerHandle {
    const t = this.#clock.setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
    return t;
  }
}
