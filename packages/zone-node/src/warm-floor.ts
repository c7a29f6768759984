import type { FunctionSpec } from '@zonesim/protocol';

/** Configurations with a floor one node keeps at once (the coordinator sends one per function it warms). */
export const MAX_WARM_FLOORS = 10_000;

/** What the floor needs from its zone node. */
export interface WarmFloorDeps {
  /** Environments of the configuration in the pool now: busy, initialising or idle. */
  environmentsOf(specKey: string): number;
  /** Loads one more environment of `spec` ahead of any invocation; resolves true when it is ready. */
  load(spec: FunctionSpec): Promise<boolean>;
}

interface Floor {
  spec: FunctionSpec;
  count: number;
  /** Loads started and not finished. */
  starting: number;
  /** Loads that failed since the floor was last set: not retried until a new `keep-warm` (no crash loop). */
  failed: number;
}

/**
 * Static-stability headroom on one zone node (issue 18): for each configuration the coordinator
 * names (`keep-warm`), at least `count` environments stay loaded here, busy or idle. Missing ones are
 * loaded ahead; ones that age out (keep-alive) or die are loaded again on the next check. It never
 * evicts: environments above the floor leave by keep-alive like any other.
 */
export class WarmFloor {
  readonly #deps: WarmFloorDeps;
  readonly #floors = new Map<string, Floor>();
  #stopped = false;

  constructor(deps: WarmFloorDeps) {
    this.#deps = deps;
  }

  /** Applies a `keep-warm` message (an absolute floor; 0 lifts it). */
  set(spec: FunctionSpec, count: number): void {
    if (this.#stopped) return;
    const floor = this.#floors.get(spec.specKey);
    if (count === 0) {
      if (floor) floor.count = 0;
      if (floor && floor.starting === 0) this.#floors.delete(spec.specKey);
      return;
    }
    if (!floor && this.#floors.size >= MAX_WARM_FLOORS) return;
    const next: Floor = floor ?? { spec, count, starting: 0, failed: 0 };
    next.spec = spec;
    next.count = count;
    next.failed = 0;
    this.#floors.set(spec.specKey, next);
    this.check(spec.specKey);
  }

  /** Loads what a configuration (or every one) is missing. Called after evictions and deaths too. */
  check(specKey?: string): void {
    if (this.#stopped) return;
    const keys = specKey === undefined ? [...this.#floors.keys()] : [specKey];
    for (const key of keys) {
      const floor = this.#floors.get(key);
      if (!floor) continue;
      // A load in progress may be counted twice (in the pool while its INIT runs, and as starting):
      // that errs low, never above the floor, and each finished load checks again.
      const missing = floor.count - this.#deps.environmentsOf(key) - floor.starting - floor.failed;
      for (let i = 0; i < missing; i++) this.#start(floor);
    }
  }

  /** Floors held (for tests and the node's status). */
  get size(): number {
    return this.#floors.size;
  }

  stop(): void {
    this.#stopped = true;
    this.#floors.clear();
  }

  #start(floor: Floor): void {
    floor.starting++;
    this.#deps
      .load(floor.spec)
      .then(
        (ok) => {
          if (!ok) floor.failed++;
        },
        () => {
          floor.failed++;
        },
      )
      .finally(() => {
        floor.starting--;
        if (this.#floors.get(floor.spec.specKey) !== floor) return;
        if (floor.count === 0 && floor.starting === 0) this.#floors.delete(floor.spec.specKey);
        else this.check(floor.spec.specKey);
      });
  }
}
