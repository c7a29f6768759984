import { randomBytes } from 'node:crypto';

/**
 * The X-Ray trace header each invocation gets (`Lambda-Runtime-Trace-Id` under the Runtime API,
 * `_X_AMZN_TRACE_ID` in Node environments): `Root=1-<epoch s hex>-<24 hex>;Parent=<16 hex>;Sampled=0`.
 * `Sampled=1` when the function's `TracingConfig` is `Active`; there is no X-Ray service here, so
 * nothing collects the segments a sampled SDK would send.
 */
export function newTraceHeader(epochMs: number, sampled: boolean): string {
  const seconds = Math.floor(epochMs / 1000).toString(16).padStart(8, '0');
  // One draw for both ids: this runs on every invocation.
  const hex = randomBytes(20).toString('hex');
  return `Root=1-${seconds}-${hex.slice(0, 24)};Parent=${hex.slice(24)};Sampled=${sampled ? 1 : 0}`;
}
