import type { Clock, Logger, TimerHandle } from '@zonesim/common';
import { newShortId } from '@zonesim/common';
import { WireErrorCode, type FunctionSpec, type Invoke, type InvokeResult } from '@zonesim/protocol';
import { isWireErrorCode } from '@zonesim/protocol';
import { serviceException, tooManyRequests, LambdaApiError } from '../errors.js';
import type { Membership } from '../membership/membership.js';
import type { NodeSession } from '../membership/node-session.js';
import { InvocationLostError, type NodeAnswer } from '../membership/pending-invocations.js';
import type { PlacementPolicy } from './placement.js';
import type { ScalingRate } from '../concurrency/scaling-rate.js';

/** Settings of the router. */
export interface RouterSettings {
  placementTimeoutMs: number;
  maxPendingInvocations: number;
  initTimeoutMs: number;
  invokeGraceMs: number;
  /**
   * How long a node has to accept an invocation (the failure detector's detection time): past it
   * the node must refuse it, because the coordinator may have re-dispatched it.
   */
  acceptWindowMs: number;
  /** Place an invocation elsewhere when its node is lost before accepting it (failover). */
  redispatch: boolean;
}

/** One invocation to route. */
export interface RouteRequest {
  requestId: string;
  spec: FunctionSpec;
  payload: Uint8Array;
  invokedFunctionArn: string;
  clientContext?: string;
  logTail: boolean;
  /** Filled in as the invocation is routed, for the ledger. */
  trace?: RouteTrace;
}

/** When an invocation waited and when it was last sent (epoch ms), for the ledger. */
export interface RouteTrace {
  /** The first time it had to wait for capacity. */
  queuedAt?: number;
  /** The last time it was offered to a node. */
  dispatchedAt?: number;
  /** Each offer to a node, in order, with why that node (the dashboard's "explain", issue 9). */
  steps?: PlacementStep[];
}

/** One offer of an invocation to a zone node. */
export interface PlacementStep {
  /** Epoch ms it was sent. */
  at: number;
  nodeId: string;
  zone: string;
  /** Why this node, e.g. `warm environment on az-a-node-1`, or a re-dispatch and its cause. */
  reason: string;
  /** Set when it did not run there: lost before the node accepted it, or refused (nothing ran). */
  outcome?: 'lost-before-accept' | 'refused';
  /** The node's refusal code. */
  code?: string;
  /** Epoch ms the offer ended without running. */
  endedAt?: number;
}

/** Offers kept per trace (the first ones and the last): an invocation waiting long for room makes many. */
const MAX_TRACE_STEPS = 16;

interface Waiter {
  wake(): void;
  timer: TimerHandle;
}

/** Marks an offer whose node was lost before it accepted the invocation. */
const LOST_BEFORE_ACCEPT = Symbol('lost-before-accept');

/** Refusals after which nothing ran and another node may take the invocation. */
const RETRY_ELSEWHERE: ReadonlySet<string> = new Set([
  WireErrorCode.NodeAtCapacity,
  WireErrorCode.NodeDraining,
  WireErrorCode.DispatchExpired,
]);

/** How many nodes one invocation may be offered to before it waits for capacity. */
const MAX_OFFERS_PER_ROUND = 8;

/**
 * Routes invocations to zone nodes: it asks the placement policy for a node with room, sends the
 * invocation, and when a node refuses it before running it (no room after all) offers it to another.
 * When no node has room the invocation waits in a bounded queue until room appears or
 * `placementTimeoutMs` passes, and is then throttled (429). Work lost with a zone link fails with
 * `ServiceException` (sync invocations are never retried by Lambda).
 */
export class Router {
  readonly #membership: Membership;
  readonly #policy: PlacementPolicy;
  readonly #settings: RouterSettings;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #waiters = new Set<Waiter>();
  readonly #scaling: ScalingRate | undefined;

  constructor(args: { membership: Membership; policy: PlacementPolicy; settings: RouterSettings; clock: Clock; log: Logger; scaling?: ScalingRate }) {
    this.#scaling = args.scaling;
    this.#membership = args.membership;
    this.#policy = args.policy;
    this.#settings = args.settings;
    this.#clock = args.clock;
    this.#log = args.log;
    this.#membership.on('capacity', () => this.#wakeAll());
  }

  /** Invocations waiting for capacity. */
  get waiting(): number {
    return this.#waiters.size;
  }

  get policyName(): string {
    return this.#policy.name;
  }

  /** Runs one invocation somewhere and returns the node's result. Throws {@link LambdaApiError}. */
  async route(request: RouteRequest): Promise<InvokeResult> {
    const started = this.#clock.monotonic();
    const excluded = new Set<string>();
    // Why the next offer happens, when it is not the first (failover, refusal, waiting for room).
    let because = '';
    for (;;) {
      let offers = 0;
      while (offers < MAX_OFFERS_PER_ROUND) {
        const node = this.#pick(request.spec, excluded);
        if (!node) break;
        // A node without an idle environment of this configuration starts a new one: that is
        // Lambda's scaling, limited per function (lambda-facts 5).
        if (this.#scaling && node.idleFor(request.spec.specKey) === 0 && !this.#scaling.tryTake(request.spec.functionName)) {
          throw tooManyRequests('FunctionInvocationRateLimitExceeded', 'Rate Exceeded.', 1);
        }
        offers++;
        const step = request.trace ? this.#step(request.trace, node, request.spec.specKey, because) : undefined;
        const answer = await this.#offer(node, request);
        if (answer === LOST_BEFORE_ACCEPT) {
          if (step) this.#ended(step, 'lost-before-accept');
          if (!this.#settings.redispatch) throw serviceException(`Zone node ${node.nodeId} (${node.zone}) was lost; failover is off.`);
          // Nothing ran on the lost node: place it elsewhere, transparently to the caller.
          excluded.add(node.sessionId);
          because = `re-dispatched after ${node.nodeId} (${node.zone}) was lost before accepting it; `;
          continue;
        }
        if (answer.type === 'invoke-result') return answer;
        if (step) this.#ended(step, 'refused', answer.error.code);
        if (!RETRY_ELSEWHERE.has(answer.error.code)) {
          throw this.#toApiError(answer.error.code, answer.error.message);
        }
        excluded.add(node.sessionId);
        because = `placed again after ${node.nodeId} refused it (${answer.error.code}); `;
      }
      const remaining = this.#settings.placementTimeoutMs - (this.#clock.monotonic() - started);
      if (remaining <= 0) throw this.#noCapacity();
      excluded.clear();
      if (request.trace) request.trace.queuedAt ??= this.#clock.now();
      const waitStarted = this.#clock.monotonic();
      await this.#waitForCapacity(remaining);
      because = `after waiting ${Math.round(this.#clock.monotonic() - waitStarted)} ms for room; `;
    }
  }

  /** Wakes and fails nothing; waiting invocations give up at their own timeouts. */
  stop(): void {
    this.#wakeAll();
  }

  /** Records one offer in the trace: when, where, and why that node (warm, or the policy's choice). */
  #step(trace: RouteTrace, node: NodeSession, specKey: string, because: string): PlacementStep {
    const at = this.#clock.now();
    trace.dispatchedAt = at;
    const why = node.idleFor(specKey) > 0
      ? `warm environment on ${node.nodeId}`
      : this.#policy.name === 'warm-first-spread'
        ? `no warm environment; least-loaded zone for this function (${node.zone})`
        : this.#policy.name === 'warm-first-pack'
          ? `no warm environment; busiest node with room (${node.nodeId})`
          : `no warm environment; chosen by ${this.#policy.name}`;
    const step: PlacementStep = { at, nodeId: node.nodeId, zone: node.zone, reason: because + why };
    const steps = (trace.steps ??= []);
    if (steps.length >= MAX_TRACE_STEPS) steps.splice(MAX_TRACE_STEPS - 2, 1);
    steps.push(step);
    return step;
  }

  #ended(step: PlacementStep, outcome: NonNullable<PlacementStep['outcome']>, code?: string): void {
    step.outcome = outcome;
    step.endedAt = this.#clock.now();
    if (code !== undefined) step.code = code;
  }

  #pick(spec: FunctionSpec, excluded: Set<string>): NodeSession | undefined {
    const candidates = this.#membership
      .healthySessions()
      .filter((s) => !excluded.has(s.sessionId) && s.hasRoomFor(spec.memoryMb));
    return this.#policy.choose({ specKey: spec.specKey, memoryMb: spec.memoryMb }, candidates);
  }

  async #offer(node: NodeSession, request: RouteRequest): Promise<NodeAnswer | typeof LOST_BEFORE_ACCEPT> {
    const message: Invoke = {
      type: 'invoke',
      invocationId: newShortId('i-'),
      requestId: request.requestId,
      fn: request.spec,
      payload: request.payload,
      invokedFunctionArn: request.invokedFunctionArn,
      logTail: request.logTail,
      acceptBy: this.#clock.now() + this.#settings.acceptWindowMs,
      ...(request.clientContext === undefined ? {} : { clientContext: request.clientContext }),
    };
    // A cold start may fetch code and run INIT before the handler's own timeout starts.
    const deadlineMs = request.spec.timeoutSec * 1000 + this.#settings.initTimeoutMs + this.#settings.invokeGraceMs;
    try {
      return await node.invoke(message, deadlineMs);
    } catch (err) {
      const accepted = err instanceof InvocationLostError ? err.accepted : true;
      const code = (err as { code?: string }).code ?? WireErrorCode.Internal;
      this.#log.warn(
        { requestId: request.requestId, nodeId: node.nodeId, zone: node.zone, code, accepted, err: (err as Error).message },
        accepted ? 'invocation lost with its zone node' : 'zone node lost before it accepted the invocation; re-dispatching',
      );
      if (!accepted) return LOST_BEFORE_ACCEPT;
      // Lambda never retries a synchronous invocation that may have run: the caller decides.
      throw this.#toApiError(code, (err as Error).message, err);
    }
  }

  #waitForCapacity(ms: number): Promise<void> {
    if (this.#waiters.size >= this.#settings.maxPendingInvocations) {
      return Promise.reject(this.#noCapacity());
    }
    return new Promise<void>((resolve) => {
      const waiter: Waiter = {
        wake: () => {
          this.#clock.clearTimeout(waiter.timer);
          this.#waiters.delete(waiter);
          resolve();
        },
        timer: this.#clock.setTimeout(() => waiter.wake(), ms),
      };
      this.#waiters.add(waiter);
    });
  }

  #wakeAll(): void {
    for (const w of [...this.#waiters]) w.wake();
  }

  #noCapacity(): LambdaApiError {
    if (this.#membership.healthySessions().length === 0) {
      return serviceException('No healthy zone node is available to run the function.');
    }
    // The cluster's environments are all busy: to the caller this is Lambda's concurrency throttle.
    return tooManyRequests('ConcurrentInvocationLimitExceeded', 'Rate Exceeded.', 1);
  }

  #toApiError(code: string, message: string, cause?: unknown): LambdaApiError {
    if (isWireErrorCode(code) && code === WireErrorCode.CodeUnavailable) {
      return serviceException(`The function's code could not be loaded on the zone node: ${message}`, cause);
    }
    return serviceException(`Internal error while running the function (${code}): ${message}`, cause);
  }
}
