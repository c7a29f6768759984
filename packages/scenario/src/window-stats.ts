import { LatencyHistogram } from './latency-histogram.js';
import type { HistoryOp } from './run-files.js';
import { defaultSettleMs } from './resolve-hypotheses.js';
import type { HypothesisWindow, ResolvedScenario } from './types.js';

/**
 * A set of operations to judge, by their intended send time:
 * - `all`: every operation after the warm-up;
 * - `steady`: `all` minus each fault's window `[start, end + settle)` (the settle time lets the
 *   cluster notice and recover; default heartbeat x missLimit, the nominal detection time);
 * - `faults`: `all` inside a fault window `[start, end)` (of `faultIds`, or of every fault).
 * The settle time after a fault belongs to neither `steady` nor `faults`.
 */
export interface WindowSpec {
  key: string;
  during: HypothesisWindow;
  settleMs: number;
  functions?: string[];
  faultIds?: string[];
}

/** What the operations of a window did. */
export interface WindowStats {
  ops: number;
  ok: number;
  fail: number;
  unknown: number;
  /** `ok` answers that carried X-Amz-Function-Error. */
  functionErrors: number;
  /** 429 answers. */
  throttles: number;
  /** Calls the clients made for these operations, retries included (`client.retries`). */
  attempts: number;
  /** ok / ops (a function error is the platform doing its job, so it counts as ok); null with no ops. */
  successRate: number | null;
  /** (ok - functionErrors) / ops; null with no ops. */
  cleanSuccessRate: number | null;
  /** Latency from the intended send time to the answer, of every op (ok, fail and unknown); ms. */
  latency: { p50: number; p90: number; p99: number; max: number } | null;
}

/** Adds up operations into {@link WindowStats}. */
export class WindowAccumulator {
  #ops = 0;
  #ok = 0;
  #fail = 0;
  #unknown = 0;
  #functionErrors = 0;
  #throttles = 0;
  #attempts = 0;
  readonly #latency = new LatencyHistogram();

  add(op: HistoryOp): void {
    this.#ops++;
    this.#attempts += op.attempts ?? 1;
    if (op.result === 'ok') {
      this.#ok++;
      if (op.functionError !== undefined) this.#functionErrors++;
    } else if (op.result === 'fail') this.#fail++;
    else this.#unknown++;
    if (op.status === 429) this.#throttles++;
    this.#latency.add(op.endedAt - op.intendedAt);
  }

  stats(): WindowStats {
    const h = this.#latency;
    return {
      ops: this.#ops,
      ok: this.#ok,
      fail: this.#fail,
      unknown: this.#unknown,
      functionErrors: this.#functionErrors,
      throttles: this.#throttles,
      attempts: this.#attempts,
      successRate: this.#ops === 0 ? null : this.#ok / this.#ops,
      cleanSuccessRate: this.#ops === 0 ? null : (this.#ok - this.#functionErrors) / this.#ops,
      latency: h.count === 0 ? null : { p50: h.percentile(50)!, p90: h.percentile(90)!, p99: h.percentile(99)!, max: h.max! },
    };
  }
}

/** A fault's window in epoch ms; `endAt` Infinity when it was never healed. */
export interface FaultWindow {
  id: string;
  startAt: number;
  endAt: number;
}

/** Decides which windows an operation belongs to. */
export class WindowClassifier {
  constructor(
    private readonly judgedFrom: number,
    private readonly faults: readonly FaultWindow[],
  ) {}

  /**
   * An operation belongs to a fault when its life (intended send to answer) overlaps the fault's
   * window: one in flight when a zone died failed because of the fault, even though it was sent
   * before it. Steady operations overlap no fault window nor the settle time after one.
   */
  includes(spec: WindowSpec, op: Pick<HistoryOp, 'intendedAt' | 'function'> & { endedAt?: number }): boolean {
    const t = op.intendedAt;
    const end = Math.max(t, op.endedAt ?? t);
    if (t < this.judgedFrom) return false;
    if (spec.functions && !spec.functions.includes(op.function)) return false;
    switch (spec.during) {
      case 'all':
        return true;
      case 'steady':
        return !this.faults.some((f) => end >= f.startAt && t < f.endAt + spec.settleMs);
      case 'faults':
        return this.faults.some((f) => (!spec.faultIds || spec.faultIds.includes(f.id)) && end >= f.startAt && t < f.endAt);
      case 'after':
        // Sent once every fault had ended and settled: what a recovered region serves. A fault
        // never healed keeps every operation out.
        return this.faults.every((f) => t >= f.endAt + spec.settleMs);
    }
  }
}

/** The standard windows (`all`, `steady`, `faults`) with the scenario's settle time. */
export function standardWindows(settleMs: number): WindowSpec[] {
  return [
    { key: 'all', during: 'all', settleMs },
    { key: 'steady', during: 'steady', settleMs },
    { key: 'faults', during: 'faults', settleMs },
    { key: 'after', during: 'after', settleMs },
  ];
}

/** The window key of a windowed hypothesis. */
export function hypothesisWindowKey(id: string): string {
  return `hypothesis:${id}`;
}

/** The windows a scenario's hypotheses judge, plus the standard ones. */
export function scenarioWindows(scenario: Pick<ResolvedScenario, 'hypotheses' | 'cluster'>): WindowSpec[] {
  const specs = standardWindows(defaultSettleMs(scenario.cluster));
  for (const h of scenario.hypotheses) {
    if (h.kind !== 'successRate' && h.kind !== 'p99') continue;
    const spec: WindowSpec = { key: hypothesisWindowKey(h.id), during: h.window.during, settleMs: h.window.settleMs };
    if (h.window.functions) spec.functions = h.window.functions;
    if (h.window.faultIds) spec.faultIds = h.window.faultIds;
    specs.push(spec);
  }
  return specs;
}
