import type { Clock, Logger, TimerHandle } from '@zonesim/common';
import type { FunctionSpec } from '@zonesim/protocol';
import type { Membership } from '../membership/membership.js';
import { allocateAcrossZones } from './allocation.js';

/** Settings of static-stability headroom. */
export interface StaticHeadroomSettings {
  /**
   * Spare warm capacity, as a fraction of each function's recent peak concurrency, spread over the
   * zones: with 3 zones, 0.5 keeps 1.5x the peak warm, so any 2 zones hold the whole peak.
   */
  headroom: number;
  /** The peak is the highest concurrency seen within this window, ms. */
  windowMs: number;
  /** How often floors are recomputed, ms. */
  tickMs: number;
}

/** Functions followed at once (each a few numbers); past it, new ones are not warmed. */
export const MAX_HEADROOM_FUNCTIONS = 10_000;

interface Followed {
  spec: FunctionSpec;
  /** Highest concurrency of each tick of the window, newest last. */
  peaks: number[];
  /** Spare environments granted so far (each took a scaling token when it was added). */
  spare: number;
}

/**
 * Static stability using availability zones (AWS Builders' Library): keep enough warm capacity in
 * every zone that losing one needs no scaling up, instead of creating environments after the
 * failure, when the scaling rate (429s) and INIT stand in the way (issue 18, study 2). For each
 * function invoked recently, the floor is ceil(peak x (1 + headroom)) environments, split over the
 * healthy zones and their nodes as provisioned concurrency is, and sent to each node (`keep-warm`);
 * nodes load what is missing as ordinary on-demand environments. While any zone is not healthy the
 * floors are left as they are: static stability means the failure needs no action from the
 * control plane (and moving floors onto the surviving zones would be scaling up by another name).
 */
export class StaticHeadroom {
  readonly #settings: StaticHeadroomSettings;
  readonly #membership: Membership;
  readonly #inFlight: (functionName: string) => number;
  readonly #takeScalingToken: (functionName: string) => boolean;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #followed = new Map<string, Followed>();
  /** sessionId -> specKey -> floor sent (with its configuration, to lift it later). */
  readonly #sent = new Map<string, Map<string, { spec: FunctionSpec; count: number }>>();
  #timer: TimerHandle | undefined;
  readonly #slots: number;

  constructor(args: {
    settings: StaticHeadroomSettings;
    membership: Membership;
    inFlight: (functionName: string) => number;
    /** One of the function's new-environment tokens (its scaling rate), or false when none is left. */
    takeScalingToken: (functionName: string) => boolean;
    clock: Clock;
    log: Logger;
  }) {
    this.#settings = args.settings;
    this.#takeScalingToken = args.takeScalingToken;
    this.#membership = args.membership;
    this.#inFlight = args.inFlight;
    this.#clock = args.clock;
    this.#log = args.log;
    this.#slots = Math.max(1, Math.ceil(args.settings.windowMs / args.settings.tickMs));
    this.#membership.on('node-down', (session: { sessionId: string }) => this.#sent.delete(session.sessionId));
  }

  start(): void {
    this.#timer ??= this.#clock.setInterval(() => this.#tick(), this.#settings.tickMs);
  }

  stop(): void {
    if (this.#timer) this.#clock.clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The router calls it for each invocation it places: the function's concurrency now counts towards its peak. */
  observe(spec: FunctionSpec): void {
    let f = this.#followed.get(spec.functionName);
    if (!f) {
      if (this.#followed.size >= MAX_HEADROOM_FUNCTIONS) return;
      f = { spec, peaks: [0], spare: 0 };
      this.#followed.set(spec.functionName, f);
    }
    f.spec = spec;
    const now = this.#inFlight(spec.functionName);
    if (now > f.peaks[f.peaks.length - 1]!) f.peaks[f.peaks.length - 1] = now;
  }

  /** The floor of a function now (for tests and the admin view): its peak and the spare granted. */
  floorOf(functionName: string): number {
    const f = this.#followed.get(functionName);
    return f ? Math.max(...f.peaks) + f.spare : 0;
  }

  /**
   * Grows or shrinks a function's spare environments towards ceil(peak x headroom). The peak's own
   * environments exist already (they ran that concurrency); each spare one is new, so it takes a
   * scaling token: headroom builds up at the function's scaling rate, as any scaling does.
   */
  #grant(name: string, f: Followed): void {
    const want = Math.ceil(Math.max(...f.peaks) * this.#settings.headroom);
    if (want <= f.spare) {
      f.spare = want;
      return;
    }
    while (f.spare < want && this.#takeScalingToken(name)) f.spare++;
  }

  #tick(): void {
    const steady = this.#membership.zones().every((z) => z.health === 'healthy');
    const nodes = this.#membership.healthySessions();
    const wanted = new Map<string, Map<string, { spec: FunctionSpec; count: number }>>();
    for (const [name, f] of this.#followed) {
      if (steady) this.#grant(name, f);
      const floor = this.floorOf(name);
      if (steady && floor > 0) {
        for (const [sessionId, count] of allocateAcrossZones(floor, nodes)) {
          let bySpec = wanted.get(sessionId);
          if (!bySpec) wanted.set(sessionId, (bySpec = new Map()));
          bySpec.set(f.spec.specKey, { spec: f.spec, count });
        }
      }
      // The next tick's slot starts at the concurrency now (work in flight across ticks counts in both).
      f.peaks.push(this.#inFlight(name));
      if (f.peaks.length > this.#slots) f.peaks.shift();
      if (floor === 0 && f.peaks.every((p) => p === 0)) this.#followed.delete(name);
    }
    if (!steady) return;
    for (const session of nodes) {
      const sent = this.#sent.get(session.sessionId) ?? new Map<string, { spec: FunctionSpec; count: number }>();
      this.#sent.set(session.sessionId, sent);
      const want = wanted.get(session.sessionId);
      for (const [specKey, w] of want ?? []) {
        if (sent.get(specKey)?.count === w.count) continue;
        session.send({ type: 'keep-warm', fn: w.spec, count: w.count });
        sent.set(specKey, w);
      }
      for (const [specKey, s] of sent) {
        if (want?.has(specKey)) continue;
        session.send({ type: 'keep-warm', fn: s.spec, count: 0 });
        sent.delete(specKey);
      }
    }
    this.#log.debug({ functions: this.#followed.size }, 'static-stability floors');
  }
}
