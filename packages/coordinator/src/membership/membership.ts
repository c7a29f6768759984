import { EventEmitter } from 'node:events';
import { SafetySwitch, SilenceDetector, type BrokenSafety, type Clock, type Logger, type TimerHandle } from '@zonesim/common';
import { CloseCode, WireErrorCode } from '@zonesim/protocol';
import type { NodeSession, NodeView } from './node-session.js';
import { maxEjected, observeWork, startProbation, type OutlierSettings } from './outlier-ejection.js';

/** A zone and its nodes, for the admin API. */
export interface ZoneView {
  zone: string;
  /**
   * `healthy`: every node healthy; `degraded`: some are not; `suspect`: every node connected is
   * suspect; `down`: no node left (a zone is down when all its nodes are).
   */
  health: 'healthy' | 'degraded' | 'suspect' | 'down';
  nodes: NodeView[];
}

/** Settings of the failure detector. */
export interface MembershipSettings {
  heartbeatIntervalMs: number;
  /** Intervals without any frame after which a node is down. */
  heartbeatMissLimit: number;
  /**
   * Refusals in a row (each of an invocation another node then ran) after which a node is suspect.
   * @default 3 (DEFAULT_REFUSAL_SUSPECT_LIMIT)
   */
  refusalSuspectLimit?: number;
  /**
   * How long a node suspected for refusing stays out of placement before its probation; doubled for
   * each suspicion since it last served an invocation, at most 16 times this.
   * @default 15000 (DEFAULT_REFUSAL_PROBATION_MS)
   */
  refusalProbationMs?: number;
  /**
   * Outlier ejection (issue 18's work-aware detector): a node that keeps failing invocations it
   * accepted is suspect for a probation, whatever its heartbeats say. @default undefined (heartbeats only)
   */
  outlier?: OutlierSettings;
}

/** Default of {@link MembershipSettings.refusalSuspectLimit} (docs/limits.md). */
export const DEFAULT_REFUSAL_SUSPECT_LIMIT = 3;
/** Default of {@link MembershipSettings.refusalProbationMs} (docs/limits.md). */
export const DEFAULT_REFUSAL_PROBATION_MS = 15_000;
/** A suspicion's probation doubles at most this many times (x16: 4 minutes with the default). */
const MAX_PROBATION_DOUBLINGS = 4;

/**
 * The live set of zone-node sessions, per zone, and the failure detector over them. Every
 * `heartbeatIntervalMs` it pings each node; a node silent for two intervals is `suspect` (placement
 * avoids it), and one silent for `heartbeatMissLimit` intervals is `down`: its link is closed and what
 * was in flight on it fails. A tick that comes late because this process was paused judges nobody
 * (see LocalPauseGuard): the frames that waited are read first.
 *
 * The same detector suspects a node that answers but will not work (issue 15: a node that refuses
 * every invocation would otherwise be chosen again and again, since it always looks idle): the
 * router reports each refusal of work another node then ran ({@link noteRefusal}); after
 * `refusalSuspectLimit` in a row the node is `suspect` for a timed probation, then placement may
 * use it again, and one more refusal in a row makes it suspect again for twice as long.
 *
 * With `outlier` set, the detector also watches the work (issue 18, as Envoy's outlier detection
 * does): the router reports each answer to an invocation a node accepted ({@link noteWork}); a node
 * that fails too many of them (in a row, or a share within an interval) is `suspect` (`failing`) for
 * a probation that doubles like a refusing node's, with at most `maxEjectedPercent` of the nodes
 * ejected at once. A gray node, healthy to heartbeats, is caught this way.
 *
 * Emits `node-up`, `node-down` and `capacity` (room may have appeared).
 */
/** Refusals that say nothing about a node's willingness to work (see {@link Membership.noteRefusal}). */
const EXCUSED_REFUSALS: ReadonlySet<string> = new Set([WireErrorCode.DispatchExpired, WireErrorCode.NodeDraining]);

export class Membership extends EventEmitter {
  readonly #sessions = new Map<string, NodeSession>();
  readonly #zonesSeen = new Set<string>();
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #settings: MembershipSettings;
  #timer: TimerHandle | undefined;
  readonly #silence: SilenceDetector;
  #pingSeq = 0;
  #ticks = 0;
  readonly #refusalLimit: number;
  readonly #probationMs: number;
  /** Safety switched off (explore's self-test): nodes once lost are never admitted again. */
  readonly #noRejoin: boolean;
  readonly #declaredDown = new Set<string>();

  constructor(args: { clock: Clock; log: Logger; settings: MembershipSettings; broken?: BrokenSafety }) {
    super();
    this.#noRejoin = args.broken?.has(SafetySwitch.Rejoin) === true;
    this.#clock = args.clock;
    this.#log = args.log;
    this.#settings = args.settings;
    this.#refusalLimit = args.settings.refusalSuspectLimit ?? DEFAULT_REFUSAL_SUSPECT_LIMIT;
    this.#probationMs = args.settings.refusalProbationMs ?? DEFAULT_REFUSAL_PROBATION_MS;
    this.#silence = new SilenceDetector({
      intervalMs: this.#settings.heartbeatIntervalMs,
      tickMs: this.#tickMs,
      suspectAfterIntervals: 2,
      downAfterIntervals: this.#settings.heartbeatMissLimit,
    });
  }

  /** The detector looks twice per interval (pings go out once per interval), so a silent node is declared down at most half an interval after its limit: 800-900 ms with the defaults. */
  get #tickMs(): number {
    return Math.max(1, Math.floor(this.#settings.heartbeatIntervalMs / 2));
  }

  start(): void {
    this.#timer ??= this.#clock.setInterval(() => this.#tick(), this.#tickMs);
  }

  stop(): void {
    if (this.#timer) this.#clock.clearInterval(this.#timer);
    this.#timer = undefined;
    this.#silence.reset();
  }

  /** Adds a session that completed its handshake; an older session of the same node is superseded. */
  add(session: NodeSession): void {
    if (this.#noRejoin && this.#declaredDown.has(session.nodeId)) {
      // A deliberately broken build (explore's self-test, issue 19): a node once declared down stays out.
      session.close(CloseCode.Superseded, 'this build never admits a node again once it was declared down');
      return;
    }
    const previous = this.#sessions.get(session.nodeId);
    if (previous && previous !== session) {
      this.#log.warn({ nodeId: session.nodeId, old: previous.sessionId, new: session.sessionId }, 'node re-registered; closing its old session');
      previous.close(CloseCode.Superseded, 'superseded by a newer session of the same node');
    }
    this.#sessions.set(session.nodeId, session);
    this.#zonesSeen.add(session.zone);
    // The number of environments freed (undefined: room of unknown size, such as a node joining).
    session.on('capacity', (slots?: number) => this.emit('capacity', slots));
    session.once('closed', (code: number, reason: string) => {
      if (this.#sessions.get(session.nodeId) === session) this.#sessions.delete(session.nodeId);
      if (this.#noRejoin) this.#declaredDown.add(session.nodeId);
      this.#log.warn({ nodeId: session.nodeId, zone: session.zone, code, reason }, 'zone node down');
      this.emit('node-down', session, reason);
    });
    this.emit('node-up', session);
    this.emit('capacity');
  }

  /** Live sessions (any health). */
  sessions(): NodeSession[] {
    return [...this.#sessions.values()];
  }

  /** Sessions that placement may use. */
  healthySessions(): NodeSession[] {
    return this.sessions().filter((s) => s.health === 'healthy' && !s.closed);
  }

  /** Zones with their nodes; zones whose every node left stay listed as `down`. */
  zones(): ZoneView[] {
    const byZone = new Map<string, NodeView[]>();
    for (const zone of this.#zonesSeen) byZone.set(zone, []);
    for (const s of this.#sessions.values()) byZone.get(s.zone)?.push(s.view());
    return [...byZone.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([zone, nodes]) => {
        const healthy = nodes.filter((n) => n.health === 'healthy').length;
        const live = nodes.filter((n) => n.health !== 'down').length;
        const health: ZoneView['health'] =
          live === 0 ? 'down' : healthy === nodes.length ? 'healthy' : healthy === 0 ? 'suspect' : 'degraded';
        return { zone, health, nodes };
      });
  }

  /**
   * Counts one refusal by `s` of an invocation that another node then ran (the router calls it once
   * per node and invocation). Work was there and others took it, so the refusal says something about
   * `s`, not about a full cluster; a node that serves an invocation starts counting again. Returns
   * true when this refusal made the node suspect.
   */
  noteRefusal(s: NodeSession, code: string): boolean {
    const r = s.refusals;
    r.total++;
    r.lastCode = code;
    // A late dispatch (the invocation reached the node after its accept deadline) and a draining
    // node decline for safety and for shutdown, not because they would not do the work: counting
    // them suspected nodes that were only slow for a moment (a node just restarted on a loaded
    // machine), and the doubling probation then kept them out for most of a minute.
    if (EXCUSED_REFUSALS.has(code)) return false;
    r.inARow++;
    if (s.health !== 'healthy' || s.closed || r.inARow < this.#refusalLimit) return false;
    const probationMs = this.#probationMs * 2 ** Math.min(r.suspicions, MAX_PROBATION_DOUBLINGS);
    r.suspicions++;
    r.probationEndsAt = this.#clock.monotonic() + probationMs;
    s.health = 'suspect';
    s.suspectReason = 'refusing';
    this.#log.warn(
      { nodeId: s.nodeId, zone: s.zone, inARow: r.inARow, code, probationMs },
      'node suspect: it keeps refusing work that other nodes run',
    );
    return true;
  }

  /**
   * Counts one answer of `s` to an invocation it accepted (the router calls it): `failed` when the
   * node failed it for a platform reason the caller sees; a function error is a success here.
   * Returns a description when this answer ejected the node (outlier ejection on), else undefined.
   */
  noteWork(s: NodeSession, failed: boolean): string | undefined {
    const settings = this.#settings.outlier;
    if (!settings) return undefined;
    const now = this.#clock.monotonic();
    const verdict = observeWork(settings, s.work, failed, now);
    if (!verdict.eject || s.health !== 'healthy' || s.closed) return undefined;
    const live = this.sessions().filter((x) => !x.closed);
    const ejected = live.filter((x) => x.health === 'suspect' && x.suspectReason === 'failing').length;
    if (ejected >= maxEjected(settings, live.length)) {
      this.#log.warn({ nodeId: s.nodeId, zone: s.zone, ejected, why: verdict.why }, 'node fails its work but is not ejected: too many nodes are already (maxEjectedPercent)');
      return undefined;
    }
    const ejectionMs = settings.ejectionMs * 2 ** Math.min(s.work.ejections, MAX_PROBATION_DOUBLINGS);
    s.work.ejections++;
    s.work.ejectedUntil = now + ejectionMs;
    s.health = 'suspect';
    s.suspectReason = 'failing';
    this.#log.warn({ nodeId: s.nodeId, zone: s.zone, why: verdict.why, ejectionMs }, 'node suspect: it keeps failing the work it accepts (outlier ejection)');
    return `${verdict.why}; ejected for ${ejectionMs} ms`;
  }

  /** Closes every session. */
  closeAll(code: number, reason: string): void {
    for (const s of this.sessions()) s.close(code, reason);
  }

  #tick(): void {
    const now = this.#clock.monotonic();
    const ping = this.#ticks++ % 2 === 0;
    const seq = ping ? this.#pingSeq++ : 0;
    const pausedMs = this.#silence.tick(now);
    if (pausedMs > 0) this.#log.warn({ lateMs: Math.round(pausedMs) }, 'the coordinator was paused; judging nodes on the next tick, after their waiting frames are read');
    for (const s of this.sessions()) {
      if (pausedMs === 0 && !this.#judge(s, now - s.lastSeen)) continue;
      if (ping) s.send({ type: 'ping', seq, sentAt: this.#clock.now() });
    }
  }

  /**
   * Marks a silent node suspect, or declares it down (then returns false); ends the suspicion of a
   * refusing node whose probation time has come.
   */
  #judge(s: NodeSession, silentMs: number): boolean {
    const verdict = this.#silence.judge(silentMs);
    if (verdict === 'down') {
      this.#log.warn({ nodeId: s.nodeId, zone: s.zone, silentMs: Math.round(silentMs) }, 'heartbeats missed; declaring node down');
      s.declareDown(`no frame for ${Math.round(silentMs)} ms`);
      return false;
    }
    if (verdict === 'suspect' && s.health === 'healthy') {
      s.health = 'suspect';
      s.suspectReason = 'silent';
      this.#log.warn({ nodeId: s.nodeId, zone: s.zone, silentMs: Math.round(silentMs) }, 'node suspect');
    }
    const r = s.refusals;
    if (s.health === 'suspect' && s.suspectReason === 'refusing' && this.#clock.monotonic() >= (r.probationEndsAt ?? 0)) {
      // Probation: placement may choose it again, but it is one refusal away from the limit, so
      // a node that still refuses is suspect again after one wasted offer (for twice as long).
      s.health = 'healthy';
      s.suspectReason = undefined;
      r.probationEndsAt = undefined;
      r.inARow = this.#refusalLimit - 1;
      this.#log.info({ nodeId: s.nodeId, zone: s.zone, suspicions: r.suspicions }, 'refusing node on probation: placement may use it again');
      this.emit('capacity');
    }
    const outlier = this.#settings.outlier;
    if (outlier && s.health === 'suspect' && s.suspectReason === 'failing' && this.#clock.monotonic() >= (s.work.ejectedUntil ?? 0)) {
      s.health = 'healthy';
      s.suspectReason = undefined;
      startProbation(outlier, s.work, this.#clock.monotonic());
      this.#log.info({ nodeId: s.nodeId, zone: s.zone, ejections: s.work.ejections }, 'ejected node on probation: placement may use it again');
      this.emit('capacity');
    }
    return true;
  }
}
