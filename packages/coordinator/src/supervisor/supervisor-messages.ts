/**
 * The contract between a coordinator and the supervisor that started it (issue 9): the process
 * that holds the zone nodes' process handles and link proxies (`zonesim up`, `zonesim demo`,
 * `zonesim run`). A coordinator cannot SIGKILL or SIGSTOP processes it does not own, nor cut a
 * link it does not carry, so the dashboard's process and network faults are asked of the
 * supervisor over this channel (Node's IPC channel of the coordinator child, JSON messages).
 *
 * Every message is a plain object tagged by `type`; each side checks what it receives with the
 * parser of its direction before acting on it, and ignores (and counts) what does not parse.
 */

/** Version of this contract, in `state.v`. */
export const SUPERVISOR_PROTOCOL_VERSION = 1;

/** Faults a supervisor applies to every node of a zone. */
export const ZoneFaultAction = {
  /** SIGKILL the zone's nodes (power loss); heal restarts them. */
  Kill: 'kill',
  /** SIGSTOP the zone's nodes (a frozen host); heal sends SIGCONT. */
  Freeze: 'freeze',
  /** Blackhole the zone's links both ways; heal removes it. */
  Partition: 'partition',
  /** Add `latencyMs` to the zone's links both ways; heal removes it. */
  Latency: 'latency',
} as const;
/** One of {@link ZoneFaultAction}. */
export type ZoneFaultAction = (typeof ZoneFaultAction)[keyof typeof ZoneFaultAction];

const ZONE_FAULT_ACTIONS: ReadonlySet<string> = new Set(Object.values(ZoneFaultAction));

/** Largest latency a control may add, ms. */
export const MAX_CONTROL_LATENCY_MS = 60_000;

/** Coordinator -> supervisor. `id` matches the reply. */
export type SupervisorRequest =
  | { type: 'describe'; id: number }
  | { type: 'zone-fault'; id: number; zone: string; action: ZoneFaultAction; latencyMs?: number }
  | { type: 'zone-heal'; id: number; zone: string }
  | { type: 'scenario-start'; id: number; name: string }
  | { type: 'scenario-stop'; id: number };

/** A fault the supervisor holds on a zone. */
export interface SupervisorZoneFault {
  zone: string;
  action: ZoneFaultAction;
  /** e.g. `300 ms`. */
  detail?: string;
  /** Epoch ms. */
  since: number;
}

/** The scenario a supervisor runs against its cluster, if any. */
export interface SupervisorScenario {
  name: string;
  state: 'running' | 'finished' | 'failed';
  startedAt: number;
  endsAt?: number;
  message?: string;
}

/** What a supervisor holds and can do. */
export interface SupervisorState {
  v: typeof SUPERVISOR_PROTOCOL_VERSION;
  /** Zones it has processes of. */
  zones: string[];
  /** False when its cluster has no link proxies: partition and latency are refused. */
  network: boolean;
  faults: SupervisorZoneFault[];
  /** Shipped scenarios it can start. */
  scenarios: string[];
  scenario?: SupervisorScenario;
}

/** Error codes of a refused request. */
export const SupervisorErrorCode = {
  UnknownZone: 'UNKNOWN_ZONE',
  UnknownScenario: 'UNKNOWN_SCENARIO',
  NotSupported: 'NOT_SUPPORTED',
  Busy: 'BUSY',
  Failed: 'FAILED',
  NotReady: 'NOT_READY',
  InvalidRequest: 'INVALID_REQUEST',
} as const;
/** One of {@link SupervisorErrorCode}. */
export type SupervisorErrorCode = (typeof SupervisorErrorCode)[keyof typeof SupervisorErrorCode];

/** Supervisor -> coordinator: a reply to one request, or its state after something changed on its own. */
export type SupervisorMessage =
  | { type: 'reply'; id: number; ok: true; state: SupervisorState }
  | { type: 'reply'; id: number; ok: false; error: { code: string; message: string } }
  | { type: 'state'; state: SupervisorState };

/** One end of the channel, as the coordinator sees it (injected; the CLI wraps Node's IPC). */
export interface SupervisorChannel {
  send(message: SupervisorRequest): void;
  /** Every message received, not yet checked. */
  onMessage(listener: (message: unknown) => void): void;
  /** The supervisor went away. */
  onClose(listener: () => void): void;
}

const ZONE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SCENARIO = /^[a-z0-9][a-z0-9-]{0,63}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Checks a request received by a supervisor; undefined when it is not one. */
export function parseSupervisorRequest(value: unknown): SupervisorRequest | undefined {
  if (!isObject(value) || !isId(value['id'])) return undefined;
  const id = value['id'];
  switch (value['type']) {
    case 'describe':
      return { type: 'describe', id };
    case 'scenario-stop':
      return { type: 'scenario-stop', id };
    case 'scenario-start': {
      const name = value['name'];
      return typeof name === 'string' && SCENARIO.test(name) ? { type: 'scenario-start', id, name } : undefined;
    }
    case 'zone-heal': {
      const zone = value['zone'];
      return typeof zone === 'string' && ZONE.test(zone) ? { type: 'zone-heal', id, zone } : undefined;
    }
    case 'zone-fault': {
      const { zone, action, latencyMs } = value;
      if (typeof zone !== 'string' || !ZONE.test(zone) || typeof action !== 'string' || !ZONE_FAULT_ACTIONS.has(action)) return undefined;
      if (action === ZoneFaultAction.Latency) {
        if (typeof latencyMs !== 'number' || !Number.isInteger(latencyMs) || latencyMs < 1 || latencyMs > MAX_CONTROL_LATENCY_MS) return undefined;
        return { type: 'zone-fault', id, zone, action, latencyMs };
      }
      return { type: 'zone-fault', id, zone, action: action as ZoneFaultAction };
    }
    default:
      return undefined;
  }
}

function parseState(v: unknown): SupervisorState | undefined {
  if (!isObject(v) || v['v'] !== SUPERVISOR_PROTOCOL_VERSION) return undefined;
  const { zones, network, faults, scenarios, scenario } = v;
  if (!Array.isArray(zones) || zones.length > 1000 || !zones.every((z) => typeof z === 'string' && ZONE.test(z))) return undefined;
  if (typeof network !== 'boolean') return undefined;
  if (!Array.isArray(scenarios) || scenarios.length > 1000 || !scenarios.every((s) => typeof s === 'string' && SCENARIO.test(s))) return undefined;
  if (!Array.isArray(faults) || faults.length > 10_000) return undefined;
  const checked: SupervisorZoneFault[] = [];
  for (const f of faults) {
    if (!isObject(f) || typeof f['zone'] !== 'string' || !ZONE.test(f['zone']) || typeof f['action'] !== 'string' || !ZONE_FAULT_ACTIONS.has(f['action'])) return undefined;
    if (typeof f['since'] !== 'number' || (f['detail'] !== undefined && (typeof f['detail'] !== 'string' || f['detail'].length > 256))) return undefined;
    checked.push({ zone: f['zone'], action: f['action'] as ZoneFaultAction, since: f['since'], ...(typeof f['detail'] === 'string' ? { detail: f['detail'] } : {}) });
  }
  const state: SupervisorState = { v: SUPERVISOR_PROTOCOL_VERSION, zones: zones as string[], network, faults: checked, scenarios: scenarios as string[] };
  if (scenario !== undefined) {
    if (!isObject(scenario) || typeof scenario['name'] !== 'string' || typeof scenario['startedAt'] !== 'number') return undefined;
    const s = scenario['state'];
    if (s !== 'running' && s !== 'finished' && s !== 'failed') return undefined;
    state.scenario = {
      name: scenario['name'].slice(0, 64),
      state: s,
      startedAt: scenario['startedAt'],
      ...(typeof scenario['endsAt'] === 'number' ? { endsAt: scenario['endsAt'] } : {}),
      ...(typeof scenario['message'] === 'string' ? { message: scenario['message'].slice(0, 1024) } : {}),
    };
  }
  return state;
}

/** Checks a message received by a coordinator; undefined when it is not one. */
export function parseSupervisorMessage(value: unknown): SupervisorMessage | undefined {
  if (!isObject(value)) return undefined;
  if (value['type'] === 'state') {
    const state = parseState(value['state']);
    return state ? { type: 'state', state } : undefined;
  }
  if (value['type'] !== 'reply' || !isId(value['id'])) return undefined;
  const id = value['id'];
  if (value['ok'] === true) {
    const state = parseState(value['state']);
    return state ? { type: 'reply', id, ok: true, state } : undefined;
  }
  const error = value['error'];
  if (value['ok'] !== false || !isObject(error) || typeof error['code'] !== 'string' || typeof error['message'] !== 'string') return undefined;
  return { type: 'reply', id, ok: false, error: { code: error['code'].slice(0, 64), message: error['message'].slice(0, 2048) } };
}
