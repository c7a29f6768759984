/**
 * @zonesim/sim: the deterministic discrete-event engine of virtual time (issue 16). The platform's
 * real coordinator and zone-node cores run on it unchanged, in one process and one thread, days of
 * virtual time in minutes, and a run replays exactly from its seed.
 *
 * - {@link Simulation}: the event loop. One binary heap of events keyed by (virtual time, insertion
 *   sequence), so same-instant events run in the order they were scheduled. Each event runs in its
 *   own macrotask, so every promise continuation it set off has run before the next one, as under
 *   Node. `runUntil(promise | predicate, { maxVirtualMs })`, `runFor(ms)`, `io(promise)` for the
 *   few real asynchronous operations left (time stands still while they are pending), `stats`.
 *   Virtual time 0 is 2026-01-01T00:00:00Z, so date-based names replay.
 * - {@link ProcessClock}: the `Clock` of one simulated process (`@zonesim/common`'s interface), on
 *   which the process faults act: `kill()` drops its timers for good, `pause()`/`resume()` holds
 *   due timers and fires each once, late, on resume (like `ManualClock.stall`), `skewMs` offsets
 *   `now()`.
 * - {@link SimLink}, {@link SimListener}, {@link SimEndpoint}: the in-memory network. A link is the
 *   twin of one link proxy: FIFO directions with a base latency distribution and a line rate each,
 *   `bufferedAmount` for backpressure, and the link proxy's own toxics (latency, loss, blackhole,
 *   bandwidth, refuse) plus `reset()`. `connect()` has the shape of the zone link's `Dialer`
 *   (an endpoint at once, `onOpen` later); an endpoint is structurally a `LinkConnection`.
 *
 * ```ts
 * const sim = new Simulation();
 * const coordinator = new ProcessClock(sim, { name: 'coordinator' });
 * const node = new ProcessClock(sim, { name: 'az-a/node-1' });
 * const listener = new SimListener({ name: 'zone-link', process: coordinator }, (server) => {
 *   server.onMessage = (frame) => server.send(frame); // echo
 * });
 * const link = new SimLink({ name: 'az-a/node-1' }, { sim, random: new SeededRandom(42).fork('link:az-a/node-1') });
 * const client = await sim.runUntil(link.dial(listener, { process: node }));
 * link.addToxic({ type: 'latency', latencyMs: 80, jitterMs: 20 });
 * await sim.runFor(60_000);
 * ```
 *
 * Nothing here reads the wall clock (except for the wall-time stats) or draws an unseeded random.
 */
export { CLOSE_ABNORMAL, CLOSE_NORMAL, EndpointState, SimEndpoint, type EndpointSide } from './sim-endpoint.js';
export { SimErrorCode, SimLinkError, SimOptionsError, SimRunError, SimStateError, isSimError } from './errors.js';
export { ProcessClock, ProcessState, type ProcessClockOptions } from './process-clock.js';
export {
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_LINK_BYTES_PER_SECOND,
  DEFAULT_LINK_LATENCY,
  SimLink,
  SimListener,
  resolveSimLinkOptions,
  type ResolvedSimLinkOptions,
  type SimLinkComponents,
  type SimLinkOptions,
  type SimLinkStats,
  type SimListenerOptions,
} from './sim-link.js';
export type { SimDirectionStats } from './link-direction.js';
export {
  DEFAULT_EPOCH_MS,
  Simulation,
  resolveSimulationOptions,
  type ResolvedSimulationOptions,
  type RunOptions,
  type SimEventHandle,
  type SimulationOptions,
  type SimulationStats,
} from './simulation.js';
