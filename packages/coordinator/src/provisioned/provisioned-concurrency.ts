import type { Clock, Logger, TimerHandle } from '@zonesim/common';
import type { FunctionSpec, ProvisionedStatus } from '@zonesim/protocol';
import type { ConcurrencyLimits } from '../concurrency/concurrency-limits.js';
import { LambdaApiError, invalidParameter, resourceConflict } from '../errors.js';
import { UNRESERVED_CONCURRENCY_FLOOR } from '../concurrency/concurrency-limits.js';
import type { Membership } from '../membership/membership.js';
import type { NodeSession } from '../membership/node-session.js';
import { functionArn } from '../registry/function-name.js';
import { lambdaTimestamp } from '../registry/function-record.js';
import type { Registry } from '../registry/registry.js';
import { allocateAcrossZones } from './allocation.js';
import type { ProvisionedWindowInput } from '../ledger/invocation-ledger.js';

/** Lambda's provisioned-concurrency status values. */
export type ProvisionedStatusValue = 'IN_PROGRESS' | 'READY' | 'FAILED';

/** One configuration as GetProvisionedConcurrencyConfig shows it. */
export interface ProvisionedConfigView {
  functionName: string;
  qualifier: string;
  requested: number;
  allocated: number;
  status: ProvisionedStatusValue;
  statusReason?: string;
  lastModified: number;
}

interface Live {
  functionName: string;
  qualifier: string;
  spec: FunctionSpec;
  requested: number;
  lastModified: number;
  /** sessionId -> share sent to that node. */
  shares: Map<string, number>;
}

const notFound = (): LambdaApiError =>
  new LambdaApiError('ProvisionedConcurrencyConfigNotFoundException', 404, 'No Provisioned Concurrency Config found for this function');

/**
 * Provisioned concurrency (lambda-facts 2.5): pre-initialised environments of a published version
 * or alias, spread across zones. The coordinator splits each configuration's count over the healthy
 * zones and their nodes and sends every node its share (`provision`, an absolute target); nodes run
 * INIT ahead of any invocation and report `provisioned-status`. When a zone goes down its share
 * moves to the zones left, and back when it returns. Invocations beyond the provisioned environments
 * spill over to on-demand ones (placement prefers warm environments, and nodes prefer provisioned
 * ones among them).
 */
export class ProvisionedConcurrency {
  readonly #registry: Registry;
  readonly #membership: Membership;
  readonly #concurrency: ConcurrencyLimits;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #account: { region: string; accountId: string };
  readonly #onWindow: ((key: string, window: ProvisionedWindowInput | undefined) => void) | undefined;
  /** `${function}:${qualifier}` -> configuration. */
  readonly #live = new Map<string, Live>();
  readonly #joinSettleMs: number;
  #settleTimer: TimerHandle | undefined;
  /** The joins after a start have settled: a node joining now is allocated at once (a reconnect must not leave its old shares standing beside new ones). */
  #settled = false;
  /** sessionId -> specKey -> last status. */
  readonly #status = new Map<string, Map<string, ProvisionedStatus>>();

  constructor(args: {
    registry: Registry;
    membership: Membership;
    concurrency: ConcurrencyLimits;
    clock: Clock;
    log: Logger;
    account: { region: string; accountId: string };
    /** Told when a configuration starts, changes or ends (billing of provisioned concurrency). */
    onWindow?: (key: string, window: ProvisionedWindowInput | undefined) => void;
    /**
     * After the coordinator starts, how long nodes may go on joining (each join restarts the wait)
     * before shares are computed: the nodes that come back together after a restart are allocated
     * together, rather than the first one taking every share. Later joins reallocate at once. The
     * failure detector's detection time. @default 0
     */
    joinSettleMs?: number;
  }) {
    this.#joinSettleMs = args.joinSettleMs ?? 0;
    this.#onWindow = args.onWindow;
    this.#registry = args.registry;
    this.#membership = args.membership;
    this.#concurrency = args.concurrency;
    this.#clock = args.clock;
    this.#log = args.log;
    this.#account = args.account;
    this.#membership.on('node-up', () => this.#reallocateSoon());
    this.#registry.onFunctionChanged((name) => this.refresh(name));
    this.#membership.on('node-down', (session: NodeSession) => {
      this.#status.delete(session.sessionId);
      this.#reallocateAll();
    });
  }

  /** Cancels a pending reallocation (the coordinator is stopping). */
  stop(): void {
    if (this.#settleTimer !== undefined) this.#clock.clearTimeout(this.#settleTimer);
    this.#settleTimer = undefined;
  }

  /**
   * After a start, reallocates once nodes have stopped joining for `joinSettleMs`; later, at once. Allocating at each join
   * gave the first node back after a coordinator restart every share (six provisioned environments
   * in its six slots): it refused all other work and was benched as a refusing node, then the shares
   * moved again as the others came back (found by zonesim explore, issue 19). Meanwhile nodes keep
   * the provisioned environments they hold.
   */
  #reallocateSoon(): void {
    if (this.#joinSettleMs <= 0 || this.#settled) {
      this.#reallocateAll();
      return;
    }
    if (this.#settleTimer !== undefined) this.#clock.clearTimeout(this.#settleTimer);
    this.#settleTimer = this.#clock.setTimeout(() => {
      this.#settleTimer = undefined;
      this.#settled = true;
      this.#reallocateAll();
    }, this.#joinSettleMs);
  }

  /** Loads stored configurations (after the registry loaded). */
  load(): void {
    for (const f of this.#registry.list()) {
      for (const [qualifier, pc] of Object.entries(f.provisionedConcurrency ?? {})) {
        try {
          this.#track(f.name, qualifier, pc.requested, pc.lastModified);
        } catch (err) {
          this.#log.warn({ function: f.name, qualifier, err: (err as Error).message }, 'dropping a provisioned concurrency config that no longer resolves');
        }
      }
    }
    this.#reallocateAll();
  }

  /** Feeds a node's report in (wired by the coordinator for every session). */
  onStatus(session: NodeSession, status: ProvisionedStatus): void {
    let bySpec = this.#status.get(session.sessionId);
    if (!bySpec) {
      bySpec = new Map();
      this.#status.set(session.sessionId, bySpec);
    }
    bySpec.set(status.specKey, status);
  }

  /** Sum of provisioned concurrency of a function over its qualifiers. */
  totalFor(functionName: string): number {
    let n = 0;
    for (const l of this.#live.values()) if (l.functionName === functionName) n += l.requested;
    return n;
  }

  /** PutProvisionedConcurrencyConfig. */
  put(functionName: string, qualifier: string | undefined, requested: number): ProvisionedConfigView {
    if (qualifier === undefined || qualifier === '') throw invalidParameter('Qualifier is required for Provisioned Concurrency Configs.');
    if (qualifier === '$LATEST') throw invalidParameter('Provisioned Concurrency Configs cannot be applied to unpublished function versions.');
    const record = this.#registry.get(functionName, qualifier);
    const alias = record.aliases?.find((a) => a.name === qualifier);
    if (alias && Object.keys(alias.additionalVersionWeights).length > 0) {
      throw invalidParameter('Provisioned Concurrency Configs cannot be applied to an alias with weighted routing.');
    }
    const key = `${functionName}:${qualifier}`;
    const spec = this.#registry.spec(this.#registry.resolve(functionName, qualifier));
    for (const l of this.#live.values()) {
      if (l.functionName === functionName && l.spec.specKey === spec.specKey && l.qualifier !== qualifier) {
        throw resourceConflict(`Alias and version cannot both have Provisioned Concurrency: ${l.qualifier} already provisions the version ${spec.version}.`);
      }
    }
    this.#checkLimits(functionName, requested - (this.#live.get(key)?.requested ?? 0));
    const now = this.#clock.now();
    this.#registry.setProvisionedConcurrency(functionName, qualifier, { requested, lastModified: now });
    this.#track(functionName, qualifier, requested, now);
    this.#reallocate(this.#live.get(key)!);
    this.#log.info({ function: functionName, qualifier, requested }, 'provisioned concurrency configured');
    return this.get(functionName, qualifier);
  }

  /** GetProvisionedConcurrencyConfig. */
  get(functionName: string, qualifier: string | undefined): ProvisionedConfigView {
    this.#registry.get(functionName);
    const live = this.#live.get(`${functionName}:${qualifier ?? ''}`);
    if (!live) throw notFound();
    return this.#view(live);
  }

  /** ListProvisionedConcurrencyConfigs. */
  list(functionName: string): ProvisionedConfigView[] {
    this.#registry.get(functionName);
    return [...this.#live.values()].filter((l) => l.functionName === functionName).map((l) => this.#view(l));
  }

  /** DeleteProvisionedConcurrencyConfig: the environments are released. */
  delete(functionName: string, qualifier: string | undefined): void {
    this.#registry.get(functionName);
    const key = `${functionName}:${qualifier ?? ''}`;
    const live = this.#live.get(key);
    if (!live) throw notFound();
    this.#release(live);
    this.#live.delete(key);
    this.#registry.setProvisionedConcurrency(functionName, live.qualifier, undefined);
  }

  /** The function (or one of its versions or aliases) is gone: release what provisioned it. */
  forget(functionName: string, qualifier?: string): void {
    for (const [key, live] of this.#live) {
      if (live.functionName !== functionName || (qualifier !== undefined && live.qualifier !== qualifier)) continue;
      this.#release(live);
      this.#live.delete(key);
    }
  }

  /**
   * Re-resolves a function's configurations after its aliases or versions changed: an alias moved to
   * another version provisions that version instead; a configuration whose target is gone is dropped.
   */
  refresh(functionName: string): void {
    for (const [key, live] of this.#live) {
      if (live.functionName !== functionName) continue;
      try {
        this.#track(live.functionName, live.qualifier, live.requested, live.lastModified);
        this.#reallocate(live);
      } catch {
        // Its version or alias (or the whole function) is gone.
        this.#release(live);
        this.#live.delete(key);
        if (this.#registry.list().some((f) => f.name === functionName)) this.#registry.setProvisionedConcurrency(functionName, live.qualifier, undefined);
      }
    }
  }

  /** Provisioned environments ready in the cluster, per function, for stats and billing. */
  allocations(): ProvisionedConfigView[] {
    return [...this.#live.values()].map((l) => this.#view(l));
  }

  #track(functionName: string, qualifier: string, requested: number, lastModified: number): void {
    const spec = this.#registry.spec(this.#registry.resolve(functionName, qualifier));
    const key = `${functionName}:${qualifier}`;
    const live = this.#live.get(key);
    const changed = !live || live.requested !== requested || live.spec.specKey !== spec.specKey;
    if (live) {
      if (live.spec.specKey !== spec.specKey) this.#release(live);
      live.spec = spec;
      live.requested = requested;
      live.lastModified = lastModified;
    } else {
      this.#live.set(key, { functionName, qualifier, spec, requested, lastModified, shares: new Map() });
    }
    if (!changed) return;
    // A window is billed from enable to disable rounded up to 5 min: only a real change splits it.
    const view = this.#registry.resolve(functionName, qualifier);
    this.#onWindow?.(key, { functionName, qualifier, memoryMb: view.memorySize, architecture: view.architecture, count: requested });
  }

  /**
   * Provisioned concurrency comes out of the function's reserved concurrency when it has some,
   * otherwise out of the account's unreserved pool, which keeps its floor of 100.
   */
  #checkLimits(functionName: string, increase: number): void {
    if (increase <= 0) return;
    const reserved = this.#concurrency.reserved(functionName);
    const total = this.totalFor(functionName) + increase;
    if (reserved !== undefined) {
      if (total > reserved) throw invalidParameter(`Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function ${functionArn(this.#account, functionName)}.`);
      return;
    }
    let unreservedProvisioned = 0;
    for (const l of this.#live.values()) if (this.#concurrency.reserved(l.functionName) === undefined) unreservedProvisioned += l.requested;
    if (this.#concurrency.unreservedLimit - unreservedProvisioned - increase < UNRESERVED_CONCURRENCY_FLOOR) {
      throw invalidParameter(
        `Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [${this.#concurrency.unreservedLimit - unreservedProvisioned}] minus ${UNRESERVED_CONCURRENCY_FLOOR}.`,
      );
    }
  }

  #reallocateAll(): void {
    for (const live of this.#live.values()) this.#reallocate(live);
  }

  /** Computes every node's share and sends the ones that changed. */
  #reallocate(live: Live): void {
    const sessions = this.#membership.healthySessions();
    const next = allocateAcrossZones(live.requested, sessions);
    const healthy = new Set(sessions.map((session) => session.sessionId));
    // A node no longer healthy gives its share back (the healthy ones are told below).
    for (const [sessionId, previous] of live.shares) {
      if (healthy.has(sessionId)) continue;
      const s = this.#membership.sessions().find((x) => x.sessionId === sessionId);
      if (s && !s.closed && previous > 0) s.send({ type: 'provision', fn: live.spec, count: 0 });
    }
    // Every healthy node is told its share, zero included, the first time: a node may hold
    // provisioned environments this coordinator never gave it (its previous session, or the
    // coordinator before a restart), which would otherwise stay provisioned beside the new share
    // (found by zonesim explore, issue 19: two provisioned environments for a concurrency of 1).
    for (const session of sessions) {
      const share = next.get(session.sessionId) ?? 0;
      if (live.shares.get(session.sessionId) === share) continue;
      session.send({ type: 'provision', fn: live.spec, count: share });
    }
    live.shares = new Map(sessions.map((session) => [session.sessionId, next.get(session.sessionId) ?? 0]));
  }

  #release(live: Live): void {
    this.#onWindow?.(`${live.functionName}:${live.qualifier}`, undefined);
    for (const s of this.#membership.sessions()) {
      if ((live.shares.get(s.sessionId) ?? 0) > 0 && !s.closed) s.send({ type: 'provision', fn: live.spec, count: 0 });
    }
    live.shares = new Map();
  }

  #view(live: Live): ProvisionedConfigView {
    let allocated = 0;
    let failed = 0;
    let initializing = 0;
    let lastError: string | undefined;
    for (const [sessionId, share] of live.shares) {
      const st = this.#status.get(sessionId)?.get(live.spec.specKey);
      if (!st) continue;
      allocated += Math.min(share, st.ready);
      failed += st.failed;
      initializing += st.initializing;
      lastError ??= st.lastError;
    }
    let status: ProvisionedStatusValue = 'IN_PROGRESS';
    if (allocated >= live.requested) status = 'READY';
    else if (failed > 0 && initializing === 0) status = 'FAILED';
    return {
      functionName: live.functionName,
      qualifier: live.qualifier,
      requested: live.requested,
      allocated,
      status,
      ...(status === 'FAILED' ? { statusReason: `FUNCTION_ERROR_INIT_FAILURE: ${lastError ?? 'INIT failed'}` } : {}),
      lastModified: live.lastModified,
    };
  }
}

/** The JSON Lambda returns for one configuration (Get/Put); `FunctionArn` is added in lists. */
export function toProvisionedConfigResponse(view: ProvisionedConfigView): Record<string, unknown> {
  return {
    RequestedProvisionedConcurrentExecutions: view.requested,
    AvailableProvisionedConcurrentExecutions: view.allocated,
    AllocatedProvisionedConcurrentExecutions: view.allocated,
    Status: view.status,
    ...(view.statusReason ? { StatusReason: view.statusReason } : {}),
    LastModified: lambdaTimestamp(view.lastModified),
  };
}
