import type { Clock } from '@zonesim/common';
import { EnvironmentSettingsError } from './errors.js';
import { HybridHistogramKeepAlive } from './hybrid-histogram.js';

/**
 * What to do with an on-demand environment once its invocation has ended (issue 18, "Policies to
 * compare"): keep it loaded for `keepAliveMs` (`prewarmMs` 0), or unload it now and load a new one
 * of the same configuration `prewarmMs` later, kept for `keepAliveMs` from then (Shahrad et al.,
 * "Serverless in the Wild", USENIX ATC'20: the pre-warming and keep-alive windows).
 */
export interface KeepAliveWindows {
  /** 0: keep the environment; above 0: unload it now and pre-warm a new one after this many ms. */
  prewarmMs: number;
  /** How long the kept (or pre-warmed) environment waits idle before it is evicted, ms (> 0). */
  keepAliveMs: number;
}

/**
 * A keep-alive policy of one zone node: told when invocations of a configuration (`specKey`) start
 * and end, it decides the windows of the environment an invocation leaves behind. Time comes only
 * from the clock given at construction; a policy does no I/O and keeps a bounded state.
 * Provisioned-concurrency environments never ask it (they stay until deprovisioned).
 */
export interface KeepAlivePolicy {
  /** `fixed` or `hybrid-histogram`. */
  readonly name: KeepAlivePolicyName;
  /** An invocation of `specKey` was given an environment (warm or cold). */
  invocationStarted(specKey: string): void;
  /** That invocation ended; returns the windows of the environment it ran in. */
  invocationEnded(specKey: string): KeepAliveWindows;
}

/** The policies a zone node can run. */
export const KEEP_ALIVE_POLICIES = ['fixed', 'hybrid-histogram'] as const;
/** One of {@link KEEP_ALIVE_POLICIES}. */
export type KeepAlivePolicyName = (typeof KEEP_ALIVE_POLICIES)[number];

/** Defaults of the hybrid-histogram policy (the ATC'20 paper's, where it gives them). */
export const DEFAULT_HYBRID_HISTOGRAM = {
  /** The histogram's range: idle times up to 4 h (the paper's). */
  rangeMs: 4 * 60 * 60 * 1000,
  /** 1-minute bins (the paper's). */
  binMs: 60 * 1000,
  /** The head of the idle-time distribution: its 5th percentile (the paper's). */
  headPercentile: 5,
  /** The tail: its 99th percentile (the paper's). */
  tailPercentile: 99,
  /** Margin taken off the head and added to the tail (the paper's 10 %). */
  margin: 0.1,
  /**
   * The histogram is representative when the coefficient of variation of its bin counts is at
   * least this (the paper's 2: idle times concentrated in a few bins).
   */
  cvThreshold: 2,
  /** Idle times needed before the histogram is trusted (ours: the paper does not give a number). */
  minSamples: 10,
  /**
   * Share of idle times beyond the range above which the histogram is not used (the paper then
   * forecasts with ARIMA; we fall back to the conservative window instead). 0.5 as in the public
   * reimplementation in dslab-faas.
   */
  maxOutOfRange: 0.5,
  /** Configurations tracked at once (least recently invoked forgotten first). */
  maxConfigurations: 1000,
} as const;

/** Settings of the hybrid-histogram policy; every field optional (defaults: {@link DEFAULT_HYBRID_HISTOGRAM}). */
export interface HybridHistogramOptions {
  /** @default 14400000 (4 h) */
  rangeMs?: number;
  /** @default 60000 (1 min) */
  binMs?: number;
  /** @default 5 */
  headPercentile?: number;
  /** @default 99 */
  tailPercentile?: number;
  /** @default 0.1 */
  margin?: number;
  /** @default 2 */
  cvThreshold?: number;
  /** @default 10 */
  minSamples?: number;
  /** @default 0.5 */
  maxOutOfRange?: number;
  /** @default 1000 */
  maxConfigurations?: number;
}

/** The hybrid-histogram settings, resolved. */
export type HybridHistogramSettings = { -readonly [K in keyof typeof DEFAULT_HYBRID_HISTOGRAM]: number };

/** A zone node's keep-alive policy as an option: `{ kind: 'fixed' }` uses the node's `keepAliveMs`. */
export type KeepAlivePolicyOptions = { kind: 'fixed' } | ({ kind: 'hybrid-histogram' } & HybridHistogramOptions);

/** {@link KeepAlivePolicyOptions}, resolved. */
export type KeepAlivePolicySettings = { kind: 'fixed' } | ({ kind: 'hybrid-histogram' } & HybridHistogramSettings);

/** Today's behaviour: every environment is kept for the same time after each invocation. */
export class FixedKeepAlive implements KeepAlivePolicy {
  readonly name = 'fixed';
  readonly #windows: KeepAliveWindows;

  constructor(keepAliveMs: number) {
    if (!Number.isFinite(keepAliveMs) || keepAliveMs <= 0) throw new EnvironmentSettingsError('keepAliveMs', `must be a positive number, got ${String(keepAliveMs)}`);
    this.#windows = Object.freeze({ prewarmMs: 0, keepAliveMs });
  }

  invocationStarted(): void {}

  invocationEnded(): KeepAliveWindows {
    return this.#windows;
  }
}

/** Fills the defaults of a policy option and checks every field (the error names it). */
export function resolveKeepAlivePolicy(options: KeepAlivePolicyOptions | undefined): KeepAlivePolicySettings {
  if (options === undefined || options.kind === 'fixed') return { kind: 'fixed' };
  if (options.kind !== 'hybrid-histogram') throw new EnvironmentSettingsError('keepAlivePolicy', `must be one of ${KEEP_ALIVE_POLICIES.join(', ')}, got ${String((options as { kind: unknown }).kind)}`);
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const s = { ...DEFAULT_HYBRID_HISTOGRAM, ...given } as { kind: 'hybrid-histogram' } & HybridHistogramSettings;
  const check = (field: keyof HybridHistogramSettings, ok: (v: number) => boolean, what: string): void => {
    const v = s[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new EnvironmentSettingsError(`keepAlivePolicy.${field}`, `must be ${what}, got ${String(v)}`);
  };
  check('binMs', (v) => v > 0, 'a positive number of ms');
  check('rangeMs', (v) => v >= s.binMs && v / s.binMs <= 100_000, 'at least one bin and at most 100,000 bins');
  check('headPercentile', (v) => v >= 0 && v <= 100, 'a percentile (0..100)');
  check('tailPercentile', (v) => v >= s.headPercentile && v <= 100, 'a percentile from headPercentile to 100');
  check('margin', (v) => v >= 0 && v < 1, 'a fraction in [0, 1)');
  check('cvThreshold', (v) => v >= 0, 'a number >= 0');
  check('minSamples', (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  check('maxOutOfRange', (v) => v >= 0 && v <= 1, 'a fraction in [0, 1]');
  check('maxConfigurations', (v) => Number.isInteger(v) && v >= 1 && v <= 1_000_000, 'an integer from 1 to 1,000,000');
  return s;
}

/**
 * Builds a node's policy. `timeScale` speeds the platform's timers up (the zone node's option):
 * the fixed keep-alive and the histogram's range and bins are divided by it.
 */
export function createKeepAlivePolicy(settings: KeepAlivePolicySettings, keepAliveMs: number, clock: Clock, timeScale = 1): KeepAlivePolicy {
  if (settings.kind === 'fixed') return new FixedKeepAlive(Math.max(1, Math.round(keepAliveMs / timeScale)));
  return new HybridHistogramKeepAlive({ ...settings, rangeMs: settings.rangeMs / timeScale, binMs: settings.binMs / timeScale }, clock);
}

const TEXT_FIELDS: Record<string, keyof HybridHistogramSettings> = {
  rangeMs: 'rangeMs',
  binMs: 'binMs',
  headPercentile: 'headPercentile',
  tailPercentile: 'tailPercentile',
  margin: 'margin',
  cvThreshold: 'cvThreshold',
  minSamples: 'minSamples',
  maxOutOfRange: 'maxOutOfRange',
  maxConfigurations: 'maxConfigurations',
};

/**
 * The policy as one command-line value (`zonesim zone --keep-alive-policy`): `fixed`,
 * `hybrid-histogram`, or `hybrid-histogram:rangeMs=7200000,minSamples=5` (settings that differ
 * from the defaults). {@link formatKeepAlivePolicy} writes it.
 */
export function parseKeepAlivePolicy(text: string): KeepAlivePolicySettings {
  const [kind, rest] = text.split(':', 2) as [string, string | undefined];
  if (kind === 'fixed' && rest === undefined) return { kind: 'fixed' };
  if (kind !== 'hybrid-histogram') throw new EnvironmentSettingsError('keepAlivePolicy', `must be fixed or hybrid-histogram[:name=value,...], got ${text}`);
  const options: KeepAlivePolicyOptions & Record<string, unknown> = { kind: 'hybrid-histogram' };
  for (const pair of rest ? rest.split(',') : []) {
    const [name, value] = pair.split('=', 2);
    const field = name === undefined ? undefined : TEXT_FIELDS[name];
    if (!field || value === undefined || value.trim() === '' || !Number.isFinite(Number(value))) {
      throw new EnvironmentSettingsError('keepAlivePolicy', `a setting must be name=number with name one of ${Object.keys(TEXT_FIELDS).join(', ')}, got ${pair}`);
    }
    options[field] = Number(value);
  }
  return resolveKeepAlivePolicy(options);
}

/** The text form {@link parseKeepAlivePolicy} reads: only the settings that differ from the defaults. */
export function formatKeepAlivePolicy(settings: KeepAlivePolicyOptions): string {
  if (settings.kind === 'fixed') return 'fixed';
  const resolved = resolveKeepAlivePolicy(settings) as HybridHistogramSettings;
  const pairs = Object.values(TEXT_FIELDS)
    .filter((f) => resolved[f] !== DEFAULT_HYBRID_HISTOGRAM[f])
    .map((f) => `${f}=${resolved[f]}`);
  return pairs.length === 0 ? 'hybrid-histogram' : `hybrid-histogram:${pairs.join(',')}`;
}
