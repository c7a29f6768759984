import { LocalPauseGuard } from './local-pause.js';

/** What the {@link SilenceDetector} makes of a peer's silence. */
export type SilenceVerdict = 'alive' | 'suspect' | 'down';

/** Settings of a {@link SilenceDetector}. */
export interface SilenceDetectorSettings {
  /** The peer's heartbeat (or ping) interval. */
  intervalMs: number;
  /** How often the detector ticks (at most `intervalMs`). */
  tickMs: number;
  /** Intervals of silence after which the peer is down. */
  downAfterIntervals: number;
  /** Intervals of silence after which the peer is suspect; omitted: never suspect, only down. */
  suspectAfterIntervals?: number;
}

/**
 * The one failure detector of the zone link, used at both ends (issue 16: it was written twice,
 * in the coordinator's membership and the zone node's link). A peer is judged by the time since
 * its last frame, counted in heartbeat intervals; a tick that came late because this process
 * itself was paused judges nobody ({@link LocalPauseGuard}), so a stalled process does not convict
 * the peers whose frames wait unread in its socket buffers.
 */
export class SilenceDetector {
  readonly #settings: SilenceDetectorSettings;
  readonly #pause: LocalPauseGuard;

  constructor(settings: SilenceDetectorSettings) {
    this.#settings = settings;
    // A tick late by more than a whole interval means the process was paused.
    this.#pause = new LocalPauseGuard(settings.tickMs, settings.intervalMs);
  }

  /**
   * Call once per tick with the monotonic time, before judging. Returns how late the tick came
   * (ms) when this tick must not judge; 0 when it may.
   */
  tick(nowMs: number): number {
    return this.#pause.pausedFor(nowMs);
  }

  /** The verdict on a peer silent for `silentMs`. */
  judge(silentMs: number): SilenceVerdict {
    const s = this.#settings;
    if (silentMs > s.intervalMs * s.downAfterIntervals) return 'down';
    if (s.suspectAfterIntervals !== undefined && silentMs > s.intervalMs * s.suspectAfterIntervals) return 'suspect';
    return 'alive';
  }

  /** Forgets the last tick (the detector stopped; its next start is not a pause). */
  reset(): void {
    this.#pause.reset();
  }
}
