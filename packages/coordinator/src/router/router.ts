import type { Clock, Logger, TimerHandle } from '@zonesim/common';
import { SafetySwitch, type BrokenSafety, type Entropy } from '@zonesim/common';
import { WireErrorCode, type FunctionSpec, type Invoke, type InvokeResult } from '@zonesim/protocol';
import { isWireErrorCode } from '@zonesim/protocol';
import { serviceException, LambdaApiError } from '../errors.js';
import type { Membership } from '../membership/membership.js';
import type { NodeSession } from '../membership/node-session.js';
import { InvocationLostError, type ChunkListener, type NodeAnswer, type NodeRefusal } from '../membership/pending-invocations.js';
import type { PlacementPolicy } from './placement.js';

/** Settings of the router. */
export interface RouterSettings {
  placementTimeoutMs: number;
  maxPendingInvocations: number;
  initTimeoutMs: number;
  invokeGraceMs: number;
  /**
   * How long a node has to accept an invocation (the failure detector's detection time): past it
   * the node must refuse it, because the coordinator may have declared it down and failed the
   * invocation (a frozen node that thaws must not run stale work).
   */
  acceptWindowMs: number;
}

/**
 * The throttles the router applies while it places an invocation. It decides none of them: the
 * invocation pipeline's `Throttles` does (one place for every 429, issue 16).
 */
export interface PlacementThrottles {
  /** Lambda's 429 when the function may not start another environment now (its scaling rate), else undefined. */
  newEnvironment(functionName: string): LambdaApiError | undefined;
  /** Lambda's 429 for an invocation no node had room for within `placementTimeoutMs`. */
  noRoom(): LambdaApiError;
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
  /** The caller reads the response as a stream: a streaming handler's bytes reach it as they are written. */
  stream?: ResponseStreamRequest;
}

/** A streamed response (InvokeWithResponseStream, a `RESPONSE_STREAM` function URL). */
export interface ResponseStreamRequest {
  /** Most bytes the response may have (`Function.ResponseSizeTooLarge` past it). */
  maxBytes: number;
  /** Takes the response's bytes in order, the content type with the first. */
  onChunk: ChunkListener;
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
  /** Set when it did not run there: the node refused it (nothing ran). */
  outcome?: 'refused';
  /** The node's refusal code. */
  code?: string;
  /** Epoch ms the offer ended without running. */
  endedAt?: number;
  /** What this refusal did to the node, e.g. that it made the node suspect (issue 15). */
  note?: string;
}

/** Offers kept per trace (the first ones and the last): an invocation waiting long for room makes many. */
const MAX_TRACE_STEPS = 16;

interface Waiter {
  wake(): void;
  timer: TimerHandle;
}

/** An offer lost before its acceptance arrived, in a build that places such offers again (never by default). */
const LOST_UNACCEPTED = Symbol('lost-unaccepted');

/** Refusals that say "no room here now": another node (or this one, later) may take the invocation. */
const CAPACITY_REFUSALS: ReadonlySet<string> = new Set([
  WireErrorCode.NodeAtCapacity,
  WireErrorCode.NodeDraining,
  WireErrorCode.DispatchExpired,
]);

/**
 * Whether a refused invocation goes to another node. A refusal says nothing ran, so another node
 * may run it; the one exception is a node that had accepted the invocation and then failed it for a
 * platform reason it names (code unavailable, environment failed, a gray failure): that failure is
 * the caller's to see, as Lambda reports it. A refusal before acceptance is the node declining the
 * work, and an unknown code is a refusal too: issue 15's fake node answered `NO_CAPACITY`, a code
 * the coordinator did not know, and every caller failed.
 */
function placeElsewhere(refusal: NodeRefusal): boolean {
  const code = refusal.error.code;
  return !refusal.afterAccept || !isWireErrorCode(code) || CAPACITY_REFUSALS.has(code);
}

/** A node that refused the invocation being routed, for the failure detector once another node runs it. */
interface Refuser {
  code: string;
  step: PlacementStep | undefined;
}

/** Waiting invocations woken per freed environment. */
const WAKE_PER_SLOT = 2;

/** How many nodes one invocation may be offered to before it waits for capacity. */
const MAX_OFFERS_PER_ROUND = 8;

/**
 * Routes invocations to zone nodes: it asks the placement policy for a node with room, sends the
 * invocation, and when a node refuses it (nothing ran: no room after all, draining, or any code it
 * does not know) offers it to another; once another node ran it, the refusals are reported to the
 * failure detector, which suspects a node that keeps refusing (issue 15).
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
  readonly #entropy: Entropy;
  /** Waiting for room, oldest first. */
  readonly #waiters = new Set<Waiter>();
  /** Woken once and still without room: first in line at the next wake-up. */
  readonly #front = new Set<Waiter>();
  readonly #throttles: PlacementThrottles;
  readonly #observer: { observe(spec: FunctionSpec): void } | undefined;
  readonly #placeAgainAfterLoss: boolean;

  constructor(args: {
    membership: Membership;
    policy: PlacementPolicy;
    settings: RouterSettings;
    throttles: PlacementThrottles;
    clock: Clock;
    entropy: Entropy;
    log: Logger;
    /** Told of each invocation routed (static-stability headroom follows each function's concurrency). */
    observer?: { observe(spec: FunctionSpec): void };
    /** Safety switched off (explore's self-test, issue 19). @default none */
    broken?: BrokenSafety;
  }) {
    this.#observer = args.observer;
    this.#placeAgainAfterLoss = args.broken?.has(SafetySwitch.AcceptedBeforeRun) === true;
    this.#entropy = args.entropy;
    this.#throttles = args.throttles;
    this.#membership = args.membership;
    this.#policy = args.policy;
    this.#settings = args.settings;
    this.#clock = args.clock;
    this.#log = args.log;
    this.#membership.on('capacity', (slots?: number) => this.#wake(slots));
  }

  /** Invocations waiting for capacity. */
  get waiting(): number {
    return this.#waiters.size + this.#front.size;
  }

  get policyName(): string {
    return this.#policy.name;
  }

  /** Runs one invocation somewhere and returns the node's result. Throws {@link LambdaApiError}. */
  async route(request: RouteRequest): Promise<InvokeResult> {
    const started = this.#clock.monotonic();
    this.#observer?.observe(request.spec);
    const excluded = new Set<string>();
    // Nodes that refused it: once another node runs it, each refusal counts against its node.
    const refusers = new Map<NodeSession, Refuser>();
    // Why the next offer happens, when it is not the first (failover, refusal, waiting for room).
    let because = '';
    for (;;) {
      let offers = 0;
      while (offers < MAX_OFFERS_PER_ROUND) {
        const node = this.#pick(request.spec, excluded);
        if (!node) break;
        // A node without an idle environment of this configuration starts a new one: that is
        // Lambda's scaling, limited per function (lambda-facts 5).
        if (node.idleFor(request.spec.specKey) === 0) {
          const throttled = this.#throttles.newEnvironment(request.spec.functionName);
          if (throttled) throw throttled;
        }
        offers++;
        const step = request.trace ? this.#step(request.trace, node, request.spec, because) : undefined;
        const answer = await this.#offer(node, request);
        if (answer === LOST_UNACCEPTED) {
          // Only in a build with the accepted-before-run safety switched off (explore's self-test):
          // the old rule, "never accepted, so never ran", which a one-way partition breaks.
          excluded.add(node.sessionId);
          because = `re-dispatched after ${node.nodeId} (${node.zone}) was lost before accepting it; `;
          continue;
        }
        if (answer.type === 'invoke-result') {
          this.#blame(refusers, node);
          this.#membership.noteWork(node, false);
          return answer;
        }
        const code = answer.error.code;
        if (step) this.#ended(step, 'refused', code);
        if (!isWireErrorCode(code)) {
          this.#log.warn(
            { requestId: request.requestId, nodeId: node.nodeId, zone: node.zone, code, message: answer.error.message.slice(0, 256), afterAccept: answer.afterAccept },
            'zone node refused an invocation with an unknown code; placing it elsewhere',
          );
        }
        if (!placeElsewhere(answer)) {
          // The node accepted it and failed it: the work-aware detector counts that against it.
          const ejected = this.#membership.noteWork(node, true);
          if (ejected && step) step.note = `${node.nodeId} is now suspect: ${ejected}`;
          throw this.#toApiError(code, answer.error.message);
        }
        excluded.add(node.sessionId);
        refusers.set(node, { code, step });
        because = `placed again after ${node.nodeId} refused it (${code}); `;
      }
      const remaining = this.#settings.placementTimeoutMs - (this.#clock.monotonic() - started);
      if (remaining <= 0) throw this.#noCapacity();
      excluded.clear();
      if (request.trace) request.trace.queuedAt ??= this.#clock.now();
      const waitStarted = this.#clock.monotonic();
      // Whole milliseconds, as Node's timers: a fraction of one could fall below the clock's
      // resolution (epoch ms in a double) and wake the waiter at the same instant, again and again
      // (a livelock in virtual time found by zonesim explore, issue 19, seeds 8224 and 8240).
      await this.#waitForCapacity(Math.ceil(remaining), because.startsWith('after waiting'));
      because = `after waiting ${Math.round(this.#clock.monotonic() - waitStarted)} ms for room; `;
    }
  }

  /** Wakes and fails nothing; waiting invocations give up at their own timeouts. */
  stop(): void {
    this.#wake(undefined);
  }

  /** Records one offer in the trace: when, where, and why that node (in the placement policy's words). */
  #step(trace: RouteTrace, node: NodeSession, spec: FunctionSpec, because: string): PlacementStep {
    const at = this.#clock.now();
    trace.dispatchedAt = at;
    const why = this.#policy.explain({ specKey: spec.specKey, memoryMb: spec.memoryMb }, node);
    const step: PlacementStep = { at, nodeId: node.nodeId, zone: node.zone, reason: because + why };
    const steps = (trace.steps ??= []);
    if (steps.length >= MAX_TRACE_STEPS) steps.splice(MAX_TRACE_STEPS - 2, 1);
    steps.push(step);
    return step;
  }

  /**
   * `ranOn` ran the invocation: each node that refused it refused work another node could do,
   * which the failure detector counts (once per node and invocation).
   */
  #blame(refusers: Map<NodeSession, Refuser>, ranOn: NodeSession): void {
    for (const [node, refusal] of refusers) {
      if (node === ranOn) continue;
      if (this.#membership.noteRefusal(node, refusal.code) && refusal.step) {
        refusal.step.note = `${node.nodeId} is now suspect: ${node.refusals.inARow} refusals in a row of work other nodes ran; placement skips it until its probation`;
      }
    }
  }

  #ended(step: PlacementStep, outcome: NonNullable<PlacementStep['outcome']>, code?: string): void {
    step.outcome = outcome;
    step.endedAt = this.#clock.now();
    if (code !== undefined) step.code = code;
  }

  #pick(spec: FunctionSpec, excluded: Set<string>): NodeSession | undefined {
    const candidates = this.#membership
      .healthySessions()
      .filter((s) => !excluded.has(s.sessionId) && s.hasRoomFor(spec));
    return this.#policy.choose({ specKey: spec.specKey, memoryMb: spec.memoryMb }, candidates);
  }

  async #offer(node: NodeSession, request: RouteRequest): Promise<NodeAnswer | typeof LOST_UNACCEPTED> {
    const message: Invoke = {
      type: 'invoke',
      invocationId: this.#entropy.shortId('i-'),
      requestId: request.requestId,
      fn: request.spec,
      payload: request.payload,
      invokedFunctionArn: request.invokedFunctionArn,
      logTail: request.logTail,
      acceptBy: this.#clock.now() + this.#settings.acceptWindowMs,
      ...(request.clientContext === undefined ? {} : { clientContext: request.clientContext }),
      ...(request.stream === undefined ? {} : { stream: { maxBytes: request.stream.maxBytes } }),
    };
    // A cold start may fetch code and run INIT before the handler's own timeout starts.
    const deadlineMs = request.spec.timeoutSec * 1000 + this.#settings.initTimeoutMs + this.#settings.invokeGraceMs;
    try {
      return await node.invoke(message, deadlineMs, request.stream?.onChunk);
    } catch (err) {
      const accepted = err instanceof InvocationLostError ? err.accepted : true;
      const code = (err as { code?: string }).code ?? WireErrorCode.Internal;
      if (!accepted && this.#placeAgainAfterLoss) return LOST_UNACCEPTED;
      // Lost without an acceptance is no proof that nothing ran: the node may have accepted it and
      // run it while its frames were held or dropped (a one-way partition, a reset link, a silence
      // the detector cannot tell from a freeze). Found by zonesim explore (issue 19,
      // sim-scenarios/regressions/one-way-partition-sync.yaml). Lambda never retries a synchronous
      // invocation that may have run: the caller (or its SDK) decides.
      this.#log.warn(
        { requestId: request.requestId, nodeId: node.nodeId, zone: node.zone, code, accepted, err: (err as Error).message },
        accepted ? 'invocation lost with its zone node' : 'zone node lost before its acceptance arrived; it may have run the invocation, so it is not placed again',
      );
      throw this.#toApiError(code, (err as Error).message, err);
    }
  }

  /** `again`: it was woken before and found no room, so it keeps its place at the head of the line. */
  #waitForCapacity(ms: number, again: boolean): Promise<void> {
    if (this.waiting >= this.#settings.maxPendingInvocations) {
      return Promise.reject(this.#noCapacity());
    }
    return new Promise<void>((resolve) => {
      const waiter: Waiter = {
        wake: () => {
          this.#clock.clearTimeout(waiter.timer);
          this.#waiters.delete(waiter);
          this.#front.delete(waiter);
          resolve();
        },
        timer: this.#clock.setTimeout(() => waiter.wake(), ms),
      };
      (again ? this.#front : this.#waiters).add(waiter);
    });
  }

  /**
   * Wakes waiting invocations, oldest first: `slots` freed environments wake
   * {@link WAKE_PER_SLOT} each (the spare ones cover a waiter that cannot use the room, such as one
   * needing more memory); undefined (a node joined, a suspect node is back) wakes every one. Waking
   * all on every freed slot cost O(waiting) per completion: under a retry storm with thousands
   * waiting, the coordinator spent its time re-placing them.
   */
  #wake(slots: number | undefined): void {
    if (slots === undefined) {
      for (const w of [...this.#front, ...this.#waiters]) w.wake();
      return;
    }
    let left = slots * WAKE_PER_SLOT;
    for (const line of [this.#front, this.#waiters]) {
      for (const w of line) {
        if (left-- <= 0) return;
        w.wake();
      }
    }
  }

  #noCapacity(): LambdaApiError {
    if (this.#membership.healthySessions().length === 0) {
      return serviceException('No healthy zone node is available to run the function.');
    }
    // The cluster's environments are all busy: to the caller this is Lambda's concurrency throttle.
    return this.#throttles.noRoom();
  }

  #toApiError(code: string, message: string, cause?: unknown): LambdaApiError {
    if (isWireErrorCode(code) && code === WireErrorCode.CodeUnavailable) {
      return serviceException(`The function's code could not be loaded on the zone node: ${message}`, cause);
    }
    return serviceException(`Internal error while running the function (${code}): ${message}`, cause);
  }
}
