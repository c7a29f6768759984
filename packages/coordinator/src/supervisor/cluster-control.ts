import type { Clock, Logger, TimerHandle } from '@zonesim/common';
import type { ActiveControl, ControlAction, ControlsView } from '@zonesim/dashboard';
import { invalidParameter, LambdaApiError, resourceConflict, resourceNotFound } from '../errors.js';
import type { FaultWindows } from '../chaos/fault-windows.js';
import type { ZoneDegradations } from '../chaos/zone-degradations.js';
import type { Membership } from '../membership/membership.js';
import {
  MAX_CONTROL_LATENCY_MS,
  SupervisorErrorCode,
  ZoneFaultAction,
  parseSupervisorMessage,
  type SupervisorChannel,
  type SupervisorMessage,
  type SupervisorRequest,
  type SupervisorState,
} from './supervisor-messages.js';

/** Settings of {@link ClusterControl}. */
export interface ClusterControlSettings {
  /** False: every control is refused with `disabledReason` (the API listens beyond loopback without auth, or `--dashboard-controls off`). */
  enabled: boolean;
  disabledReason?: string;
  /** How long a supervisor has to answer (a heal after a kill restarts processes). */
  requestTimeoutMs: number;
}

/** Parameters of a zone control. */
export interface ZoneControlParams {
  latencyMs?: number;
  slowFactor?: number;
  failRate?: number;
}

interface Pending {
  resolve(m: SupervisorMessage & { type: 'reply' }): void;
  reject(err: Error): void;
  timer: TimerHandle;
}

const SUPERVISED_ACTIONS: ReadonlySet<string> = new Set(Object.values(ZoneFaultAction));

/**
 * The dashboard's controls (issue 9), acting through the same means the scenario runner uses:
 * process and network faults (kill, freeze, partition, latency) are asked of the supervisor that
 * owns the processes and link proxies (see supervisor-messages.ts); a gray failure is the
 * coordinator's own `degrade`. Each applied control opens a fault window, so ledger records carry
 * its id, charts shade it and reports price it; heal closes it.
 */
export class ClusterControl {
  readonly #settings: ClusterControlSettings;
  readonly #channel: SupervisorChannel | undefined;
  readonly #faults: FaultWindows;
  readonly #degradations: ZoneDegradations;
  readonly #membership: Membership;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #pending = new Map<number, Pending>();
  /** Fault windows this control opened, by `zone/action`. */
  readonly #windows = new Map<string, string>();
  readonly #gray = new Map<string, ActiveControl>();
  #state: SupervisorState | undefined;
  #connected: boolean;
  #nextId = 1;
  #seq = 0;
  #ignored = 0;

  constructor(args: {
    settings: ClusterControlSettings;
    channel?: SupervisorChannel;
    faults: FaultWindows;
    degradations: ZoneDegradations;
    membership: Membership;
    clock: Clock;
    log: Logger;
  }) {
    this.#settings = args.settings;
    this.#channel = args.channel;
    this.#faults = args.faults;
    this.#degradations = args.degradations;
    this.#membership = args.membership;
    this.#clock = args.clock;
    this.#log = args.log;
    this.#connected = args.channel !== undefined;
    args.channel?.onMessage((m) => this.#receive(m));
    args.channel?.onClose(() => {
      this.#connected = false;
      for (const [id, p] of this.#pending) {
        this.#clock.clearTimeout(p.timer);
        p.reject(unavailable('the supervisor went away'));
        this.#pending.delete(id);
      }
    });
  }

  /** Asks the supervisor what it holds (at start, so the page knows its scenarios). */
  async refresh(): Promise<void> {
    if (!this.#connected) return;
    try {
      await this.#request({ type: 'describe', id: 0 });
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'the supervisor did not describe itself');
    }
  }

  /** What the page shows: whether controls act, what is active, which scenarios can start. */
  view(): ControlsView {
    const s = this.#state;
    const active: ActiveControl[] = [...this.#gray.values()];
    for (const f of s?.faults ?? []) active.push({ zone: f.zone, action: f.action, since: f.since, ...(f.detail ? { detail: f.detail } : {}) });
    const view: ControlsView = {
      enabled: this.#settings.enabled,
      supervised: this.#connected && s !== undefined,
      scenarios: this.#connected ? (s?.scenarios ?? []) : [],
      active,
    };
    if (!this.#settings.enabled && this.#settings.disabledReason) view.reason = this.#settings.disabledReason;
    else if (!view.supervised) view.reason = 'kill, freeze, partition and latency need the processes\' owner: start the cluster with zonesim up (or zonesim demo --dashboard)';
    if (s?.scenario) view.scenario = { ...s.scenario };
    return view;
  }

  /** Applies one control to every node of `zone`. */
  async zone(zone: string, action: ControlAction, params: ZoneControlParams = {}): Promise<ControlsView> {
    this.#checkEnabled();
    this.#checkZone(zone);
    if (action === 'gray') {
      const slowFactor = params.slowFactor ?? 5;
      const failRate = params.failRate ?? 0.3;
      if (!Number.isFinite(slowFactor) || slowFactor < 1 || slowFactor > 1000) throw invalidParameter('slowFactor must be a number from 1 to 1000');
      if (!Number.isFinite(failRate) || failRate < 0 || failRate > 1) throw invalidParameter('failRate must be a number from 0 to 1');
      this.#degradations.set({ zone }, { slowFactor, failRate });
      this.#gray.set(zone, { zone, action: 'gray', detail: `${slowFactor}x slower, ${Math.round(failRate * 100)}% fail`, since: this.#clock.now() });
      this.#openWindow(zone, 'gray');
      return this.view();
    }
    if (!SUPERVISED_ACTIONS.has(action)) throw invalidParameter(`unknown control ${action}: kill, freeze, partition, latency, gray or heal`);
    const request: SupervisorRequest = action === 'latency'
      ? { type: 'zone-fault', id: 0, zone, action, latencyMs: checkedLatency(params.latencyMs) }
      : { type: 'zone-fault', id: 0, zone, action: action as ZoneFaultAction };
    this.#checkSupervised(action);
    // Announce first: records received while the fault is being applied belong to its window.
    this.#openWindow(zone, action);
    try {
      await this.#request(request);
    } catch (err) {
      this.#closeWindow(zone, action);
      throw err;
    }
    return this.view();
  }

  /** Undoes every control on `zone` (restarts killed nodes, thaws, reconnects, heals a gray failure). */
  async heal(zone: string): Promise<ControlsView> {
    this.#checkEnabled();
    this.#checkZone(zone);
    if (this.#gray.delete(zone)) {
      this.#degradations.heal({ zone });
      this.#closeWindow(zone, 'gray');
    }
    if (this.#connected && this.#state) {
      await this.#request({ type: 'zone-heal', id: 0, zone });
    }
    for (const action of SUPERVISED_ACTIONS) {
      if (!this.#state?.faults.some((f) => f.zone === zone && f.action === action)) this.#closeWindow(zone, action);
    }
    return this.view();
  }

  /** Starts a shipped scenario's workload and faults against this cluster. */
  async startScenario(name: string): Promise<ControlsView> {
    this.#checkEnabled();
    this.#checkSupervised('a scenario');
    await this.#request({ type: 'scenario-start', id: 0, name });
    return this.view();
  }

  async stopScenario(): Promise<ControlsView> {
    this.#checkEnabled();
    this.#checkSupervised('a scenario');
    await this.#request({ type: 'scenario-stop', id: 0 });
    return this.view();
  }

  /** Fails what waits for the supervisor; closes the windows this control opened. */
  close(): void {
    for (const [id, p] of this.#pending) {
      this.#clock.clearTimeout(p.timer);
      p.reject(unavailable('the coordinator is stopping'));
      this.#pending.delete(id);
    }
    for (const key of [...this.#windows.keys()]) {
      const [zone, action] = key.split('/') as [string, string];
      this.#closeWindow(zone, action);
    }
  }

  #checkEnabled(): void {
    if (!this.#settings.enabled) {
      throw new LambdaApiError('AccessDeniedException', 403, this.#settings.disabledReason ?? 'The dashboard controls are off.');
    }
  }

  #checkZone(zone: string): void {
    if (!this.#membership.zones().some((z) => z.zone === zone)) throw resourceNotFound(`No zone ${zone} in this region.`);
  }

  #checkSupervised(what: string): void {
    if (!this.#connected || !this.#state) {
      throw resourceConflict(`${what} needs the processes' owner: this coordinator was not started by zonesim up or zonesim demo, so it cannot signal its zone nodes or cut their links.`);
    }
  }

  #openWindow(zone: string, action: string): void {
    const key = `${zone}/${action}`;
    if (this.#windows.has(key)) return;
    const id = `dashboard-${action}-${zone}-${++this.#seq}`;
    try {
      this.#faults.open({ id, action, target: zone });
      this.#windows.set(key, id);
    } catch (err) {
      this.#log.warn({ err: (err as Error).message, id }, 'could not open a fault window');
    }
  }

  #closeWindow(zone: string, action: string): void {
    const key = `${zone}/${action}`;
    const id = this.#windows.get(key);
    if (id === undefined) return;
    this.#windows.delete(key);
    try {
      this.#faults.close(id);
    } catch (err) {
      this.#log.warn({ err: (err as Error).message, id }, 'could not close a fault window');
    }
  }

  #request(request: SupervisorRequest): Promise<SupervisorMessage & { type: 'reply' }> {
    const channel = this.#channel;
    if (!channel || !this.#connected) return Promise.reject(unavailable('no supervisor'));
    const id = this.#nextId++;
    return new Promise<SupervisorMessage & { type: 'reply' }>((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        this.#pending.delete(id);
        reject(new LambdaApiError('ServiceException', 504, `The supervisor did not answer within ${this.#settings.requestTimeoutMs} ms.`));
      }, this.#settings.requestTimeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      try {
        channel.send({ ...request, id });
      } catch (err) {
        this.#clock.clearTimeout(timer);
        this.#pending.delete(id);
        reject(unavailable((err as Error).message));
      }
    }).then((reply) => {
      if (!reply.ok) throw refusal(reply.error.code, reply.error.message);
      return reply;
    });
  }

  #receive(raw: unknown): void {
    const message = parseSupervisorMessage(raw);
    if (!message) {
      if (this.#ignored++ % 100 === 0) this.#log.warn({ ignored: this.#ignored }, 'ignored a malformed message from the supervisor');
      return;
    }
    if (message.type === 'state' || message.ok) this.#adopt(message.state);
    if (message.type === 'reply') {
      const p = this.#pending.get(message.id);
      if (!p) return;
      this.#pending.delete(message.id);
      this.#clock.clearTimeout(p.timer);
      p.resolve(message);
    }
  }

  /** The supervisor's faults changed: windows of faults it no longer holds are closed. */
  #adopt(state: SupervisorState): void {
    this.#state = state;
    for (const key of [...this.#windows.keys()]) {
      const [zone, action] = key.split('/') as [string, string];
      if (action !== 'gray' && !state.faults.some((f) => f.zone === zone && f.action === action)) this.#closeWindow(zone, action);
    }
  }
}

function checkedLatency(ms: number | undefined): number {
  const v = ms ?? 300;
  if (!Number.isInteger(v) || v < 1 || v > MAX_CONTROL_LATENCY_MS) throw invalidParameter(`latencyMs must be an integer from 1 to ${MAX_CONTROL_LATENCY_MS}`);
  return v;
}

function unavailable(message: string): LambdaApiError {
  return new LambdaApiError('ServiceException', 503, `The supervisor is not available: ${message}`);
}

/** A supervisor's refusal as the API answers it. */
function refusal(code: string, message: string): LambdaApiError {
  switch (code) {
    case SupervisorErrorCode.UnknownZone:
    case SupervisorErrorCode.UnknownScenario:
      return resourceNotFound(message);
    case SupervisorErrorCode.InvalidRequest:
      return invalidParameter(message);
    case SupervisorErrorCode.NotSupported:
    case SupervisorErrorCode.Busy:
    case SupervisorErrorCode.NotReady:
      return resourceConflict(message);
    default:
      return new LambdaApiError('ServiceException', 500, `The supervisor failed: ${message}`);
  }
}
