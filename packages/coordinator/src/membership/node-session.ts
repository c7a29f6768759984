import { EventEmitter } from 'node:events';
import type { Clock, Logger } from '@zonesim/common';
import {
  CloseCode,
  closeReason,
  type Codec,
  type CoordinatorMessage,
  type EnvironmentReport,
  type Hello,
  type Invoke,
  type SandboxReport,
  type LinkConnection,
  type ZoneMessage,
} from '@zonesim/protocol';
import { PendingInvocations, type ChunkListener, type NodeAnswer } from './pending-invocations.js';
import { newWorkRecord, type WorkRecord } from './outlier-ejection.js';

/** Health of a zone node as the coordinator sees it. */
export type NodeHealth = 'healthy' | 'suspect' | 'down';

/**
 * Why a node is suspect: `silent` (no frame for two heartbeat intervals; its next frame clears it),
 * `refusing` (it kept refusing work that other nodes then ran) or `failing` (with outlier ejection
 * on, it kept failing invocations it had accepted); the last two end with a probation (see
 * Membership). Either way placement skips it.
 */
export type SuspectReason = 'silent' | 'refusing' | 'failing';

/** What the failure detector keeps of a node's refusals (the rule is Membership's). */
export interface RefusalRecord {
  /** Refusals in a row of work another node then ran, with no invocation served by this node between. */
  inARow: number;
  /** Such refusals since the session began. */
  total: number;
  /** The code of the last one (as the node sent it, possibly one the coordinator does not know). */
  lastCode: string | undefined;
  /** Times the node was made suspect for refusing since it last served an invocation; each doubles the probation. */
  suspicions: number;
  /** Monotonic ms at which a refusing suspect's probation ends. */
  probationEndsAt: number | undefined;
}

/** A snapshot of one node for the admin API and the CLI. */
export interface NodeView {
  nodeId: string;
  zone: string;
  sessionId: string;
  health: NodeHealth;
  /** Set while the node is suspect. */
  suspectReason?: SuspectReason;
  /** Refusals of work other nodes then ran (issue 15): in a row, in all, the last code, time left suspect. */
  refusals: { inARow: number; total: number; lastCode?: string; probationEndsInMs?: number };
  /** Platform failures of work the node accepted (issue 18's outlier ejection): in a row, in all, time left ejected. */
  failures: { inARow: number; total: number; ejectionEndsInMs?: number };
  isolation: string;
  /** What contains the node's environments (issue 15); absent for nodes that do not say. */
  sandbox?: SandboxReport;
  capacity: { memoryMb: number; maxEnvironments: number };
  inFlight: number;
  busyMemoryMb: number;
  idleEnvironments: number;
  lastSeenMsAgo: number;
  connectedAt: string;
}

/**
 * One live session with one zone node, after a successful `hello`. It sends frames (watching the
 * connection's buffered amount), matches answers to invocations, counts the node's warm environments
 * per function configuration, and tracks when the node was last heard from.
 */
export class NodeSession extends EventEmitter {
  readonly sessionId: string;
  readonly nodeId: string;
  readonly zone: string;
  readonly capacity: Hello['capacity'];
  readonly isolation: string;
  readonly sandbox: SandboxReport | undefined;
  readonly connectedAt: number;
  health: NodeHealth = 'healthy';
  /** Why the node is suspect (set with `health = 'suspect'` by the failure detector). */
  suspectReason: SuspectReason | undefined;
  /** The failure detector's count of this node's refusals. */
  readonly refusals: RefusalRecord = { inARow: 0, total: 0, lastCode: undefined, suspicions: 0, probationEndsAt: undefined };
  /** The outlier detector's count of this node's answers to work it accepted (issue 18). */
  readonly work: WorkRecord = newWorkRecord();
  /** Monotonic ms of the last frame received. */
  lastSeen: number;
  /** The node's last environment report (heartbeats carry one at most every 500 ms), for the dashboard. */
  environments: EnvironmentReport | undefined;
  /** Epoch ms the last environment report arrived. */
  environmentsAt = 0;

  readonly #connection: LinkConnection;
  readonly #codec: Codec;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #pending: PendingInvocations;
  readonly #idleBySpec = new Map<string, number>();
  /** Provisioned environments the node reported ready, per configuration. */
  readonly #provisionedReady = new Map<string, number>();
  /** The provisioned targets this session sent, per configuration. */
  readonly #provisionedTarget = new Map<string, number>();
  /**
   * Environments busy with invocations this session did not send (the node's earlier session, lost
   * with its link while they ran): counted against the node's room until its heartbeats show them
   * done. Without it a node that came back after a fault was sent more than it could take, refused
   * with NODE_AT_CAPACITY, and was benched as a refusing node (found by zonesim explore, issue 19).
   */
  #untracked: number;
  readonly #highWaterBytes: number;
  #closed = false;

  constructor(args: {
    sessionId: string;
    hello: Hello;
    connection: LinkConnection;
    codec: Codec;
    clock: Clock;
    log: Logger;
    highWaterBytes: number;
  }) {
    super();
    this.sessionId = args.sessionId;
    this.nodeId = args.hello.nodeId;
    this.zone = args.hello.zone;
    this.capacity = args.hello.capacity;
    this.isolation = args.hello.isolation;
    this.sandbox = args.hello.sandbox;
    this.#connection = args.connection;
    this.#codec = args.codec;
    this.#clock = args.clock;
    this.#log = args.log.child({ zone: this.zone, nodeId: this.nodeId, sessionId: this.sessionId });
    this.#pending = new PendingInvocations(args.clock);
    this.#highWaterBytes = args.highWaterBytes;
    this.connectedAt = args.clock.now();
    this.lastSeen = args.clock.monotonic();
    this.#untracked = args.hello.busy ?? 0;
    for (const p of args.hello.provisioned ?? []) if (p.count > 0) this.#provisionedReady.set(p.specKey, p.count);
    // Warm environments the node kept across a lost link count for warm placement at once.
    for (const w of args.hello.warm ?? []) if (w.idle > 0) this.#idleBySpec.set(w.specKey, w.idle);
  }

  /**
   * Slots in use as far as the coordinator can tell: the old session's work, and per configuration
   * its invocations or its provisioned environments, whichever is more. A configuration's
   * provisioned environments hold its target, or what is ready if more (a node lowering its target
   * still has them). Allocation-free: it runs for every candidate node of every placement.
   */
  #occupiedSlots(): number {
    let occupied = this.inFlight + this.#untracked;
    for (const [specKey, ready] of this.#provisionedReady) {
      occupied += Math.max(0, Math.max(ready, this.#provisionedTarget.get(specKey) ?? 0) - this.#pending.inFlightOf(specKey));
    }
    for (const [specKey, target] of this.#provisionedTarget) {
      if (!this.#provisionedReady.has(specKey)) occupied += Math.max(0, target - this.#pending.inFlightOf(specKey));
    }
    return occupied;
  }

  /** Invocations in flight on this node. */
  get inFlight(): number {
    return this.#pending.size;
  }

  get busyMemoryMb(): number {
    return this.#pending.busyMemoryMb;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Forgets the warm environments of these configurations (the node was told to drop them). */
  forgetSpecs(specKeys: readonly string[]): void {
    for (const k of specKeys) this.#idleBySpec.delete(k);
  }

  /** Configurations the node holds warm environments of. */
  warmSpecKeys(): string[] {
    return [...this.#idleBySpec.keys()];
  }

  /** Warm idle environments of a configuration on this node, as far as the coordinator knows. */
  idleFor(specKey: string): number {
    return this.#idleBySpec.get(specKey) ?? 0;
  }

  get idleEnvironments(): number {
    let n = 0;
    for (const v of this.#idleBySpec.values()) n += v;
    return n;
  }

  /**
   * True when the node can take one more invocation of `spec`. A provisioned environment holds its
   * slot even while idle (the node cannot evict it), so each configuration occupies the larger of
   * its provisioned environments and its invocations in flight; an idle provisioned environment of
   * `spec` itself takes the invocation without a new slot. Counting only invocations in flight sent
   * a node with provisioned environments more than it could take: it refused with NODE_AT_CAPACITY
   * and was benched as a refusing node (found by zonesim explore, issue 19).
   */
  hasRoomFor(spec: { specKey: string; memoryMb: number }): boolean {
    const { memoryMb } = spec;
    return (
      !this.#closed &&
      this.health === 'healthy' &&
      (this.#pending.inFlightOf(spec.specKey) < (this.#provisionedReady.get(spec.specKey) ?? 0) || this.#occupiedSlots() < this.capacity.maxEnvironments) &&
      this.busyMemoryMb + memoryMb <= this.capacity.memoryMb &&
      this.#connection.bufferedAmount < this.#highWaterBytes
    );
  }

  /**
   * Sends one invocation and waits for the node's answer (or a deadline, or the link's loss);
   * `onChunk` takes a streamed response's bytes (an invoke with `stream`) as they arrive.
   */
  invoke(message: Invoke, deadlineMs: number, onChunk?: ChunkListener): Promise<NodeAnswer> {
    const idle = this.idleFor(message.fn.specKey);
    if (idle > 0) this.#idleBySpec.set(message.fn.specKey, idle - 1);
    const answer = this.#pending.add(message.invocationId, message.fn.specKey, message.fn.memoryMb, deadlineMs, onChunk);
    this.send(message);
    return answer;
  }

  /** Encodes and sends one frame; a closed link drops it (pending entries fail on close). */
  send(message: CoordinatorMessage): void {
    if (this.#closed) return;
    // A provisioned target holds its slots from the moment it is sent, while its environments initialise.
    if (message.type === 'provision') this.#provisionedTarget.set(message.fn.specKey, message.count);
    this.#connection.send(this.#codec.encode(message));
  }

  /** Handles one validated frame from the node. */
  receive(message: ZoneMessage): void {
    this.lastSeen = this.#clock.monotonic();
    // Any frame answers silence; it does not answer refusals (a refusing node is talkative).
    if (this.health === 'suspect' && this.suspectReason === 'silent') {
      this.health = 'healthy';
      this.suspectReason = undefined;
    }
    switch (message.type) {
      case 'invoke-result': {
        const settled = this.#pending.settle(message);
        if (!settled) this.#log.warn({ invocationId: message.invocationId }, 'late or unknown invoke-result');
        else {
          if (message.environmentKept) this.#idleBySpec.set(settled.specKey, this.idleFor(settled.specKey) + 1);
          // It served one: its refusals are no longer "in a row", and the next suspicion starts short.
          this.refusals.inARow = 0;
          this.refusals.suspicions = 0;
        }
        // One environment (its memory) is free again.
        this.emit('capacity', 1);
        break;
      }
      case 'invoke-accepted':
        this.#pending.markAccepted(message.invocationId);
        break;
      case 'invoke-chunk':
        if (!this.#pending.chunk(message)) this.#log.debug({ invocationId: message.invocationId }, 'late or unknown invoke-chunk');
        break;
      case 'invoke-rejected': {
        const settled = this.#pending.settle(message);
        if (!settled) this.#log.warn({ invocationId: message.invocationId }, 'late or unknown invoke-rejected');
        // A node that refuses a configuration has no idle environment of it to offer, whatever it
        // claimed (a `hello` may list any number): warm placement must not keep choosing it.
        else this.#idleBySpec.delete(settled.specKey);
        // No 'capacity' event: a refusal frees no room anywhere. Waking the invocations that wait
        // for room would send them straight back to the node that just refused (a busy loop
        // between the router and a node that refuses everything).
        break;
      }
      case 'environment-evicted': {
        const idle = this.idleFor(message.specKey);
        if (idle <= 1) this.#idleBySpec.delete(message.specKey);
        else this.#idleBySpec.set(message.specKey, idle - 1);
        this.emit('capacity', 1);
        break;
      }
      case 'environment-ready':
        // Pre-warmed by the node's keep-alive policy (issue 18): warm for placement, as a kept one.
        this.#idleBySpec.set(message.specKey, this.idleFor(message.specKey) + 1);
        this.emit('capacity', 1);
        break;
      case 'provisioned-status': {
        // Newly initialised provisioned environments are idle and warm; ones that go away are
        // reported by `environment-evicted` or by an invoke result.
        const before = this.#provisionedReady.get(message.specKey) ?? 0;
        if (message.ready > before) this.#idleBySpec.set(message.specKey, this.idleFor(message.specKey) + message.ready - before);
        this.#provisionedReady.set(message.specKey, message.ready);
        this.emit('provisioned-status', message);
        if (message.ready > before) this.emit('capacity', message.ready - before);
        break;
      }
      case 'log-events':
        this.emit('log-events', message);
        break;
      case 'heartbeat':
        // Only ever lowered: the node's busy count minus what this session sent is what is left of the old work.
        if (this.#untracked > 0) {
          const before = this.#untracked;
          this.#untracked = Math.max(0, Math.min(before, message.busyEnvironments - this.inFlight));
          if (this.#untracked < before) this.emit('capacity', before - this.#untracked);
        }
        // The dashboard's view of the node's environments (issue 9); absent means unchanged.
        if (message.environments) {
          this.environments = message.environments;
          this.environmentsAt = this.#clock.now();
        }
        break;
      case 'pong':
        break;
      case 'hello':
        this.close(CloseCode.HandshakeViolation, 'hello sent twice');
        break;
    }
  }

  /** Closes the link and fails what was in flight on it. Idempotent. */
  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.health = 'down';
    this.#pending.dropAll(`link to ${this.nodeId} (${this.zone}) closed: ${reason}`);
    this.#connection.close(code, closeReason(reason));
    this.emit('closed', code, reason);
  }

  /** The failure detector gave up on this node: fail its work and drop the TCP connection at once. */
  declareDown(reason: string): void {
    this.close(CloseCode.HeartbeatTimeout, reason);
    this.#connection.terminate();
  }

  view(): NodeView {
    return {
      nodeId: this.nodeId,
      zone: this.zone,
      sessionId: this.sessionId,
      health: this.health,
      ...(this.suspectReason !== undefined && this.health === 'suspect' ? { suspectReason: this.suspectReason } : {}),
      refusals: this.#refusalView(),
      failures: this.#failureView(),
      isolation: this.isolation,
      ...(this.sandbox ? { sandbox: this.sandbox } : {}),
      capacity: this.capacity,
      inFlight: this.inFlight,
      busyMemoryMb: this.busyMemoryMb,
      idleEnvironments: this.idleEnvironments,
      lastSeenMsAgo: Math.round(this.#clock.monotonic() - this.lastSeen),
      connectedAt: new Date(this.connectedAt).toISOString(),
    };
  }

  #failureView(): NodeView['failures'] {
    const w = this.work;
    const out: NodeView['failures'] = { inARow: w.failuresInARow, total: w.failures };
    if (this.health === 'suspect' && this.suspectReason === 'failing' && w.ejectedUntil !== undefined) {
      out.ejectionEndsInMs = Math.max(0, Math.round(w.ejectedUntil - this.#clock.monotonic()));
    }
    return out;
  }

  #refusalView(): NodeView['refusals'] {
    const r = this.refusals;
    const out: NodeView['refusals'] = { inARow: r.inARow, total: r.total };
    if (r.lastCode !== undefined) out.lastCode = r.lastCode;
    if (this.health === 'suspect' && this.suspectReason === 'refusing' && r.probationEndsAt !== undefined) {
      out.probationEndsInMs = Math.max(0, Math.round(r.probationEndsAt - this.#clock.monotonic()));
    }
    return out;
  }
}
