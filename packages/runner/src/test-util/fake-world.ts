import { ManualClock, type Clock } from '@zonesim/common';
import type { Toxic } from '@zonesim/link-proxy';
import { topology, type ResolvedScenario } from '@zonesim/scenario';
import { AdminClient } from '../client/admin-client.js';
import { ApiClient } from '../client/api-client.js';
import type { ApiCallOptions, ApiRequest, ApiResponse, ApiTransport } from '../client/api-transport.js';
import { ApiClusterClient, type ClusterClient } from '../client/cluster-client.js';
import type { FaultActuator, RunWorld, WorldInfo, WorldNode } from '../world/run-world.js';

/** One call a fake saw: `kill az-b-node-1`, `POST /zonesim/v1/faults` ... */
export type Call = string;

/**
 * A clock for in-process runs in tests: a {@link ManualClock} moved forward `stepMs` every real
 * millisecond or so, so that a run of virtual seconds takes a fraction of a real one while I/O
 * (files) still completes between steps.
 */
export class PumpedClock extends ManualClock {
  #pump: NodeJS.Timeout | undefined;

  start(stepMs = 10): void {
    this.#pump ??= setInterval(() => this.advance(stepMs), 1);
  }

  stop(): void {
    if (this.#pump) clearInterval(this.#pump);
    this.#pump = undefined;
  }
}

/** A handler of the fake API: an answer, or undefined to fall through to the defaults. */
export type FakeRoute = (req: ApiRequest, body: any) => { status: number; body?: unknown; headers?: Record<string, string> } | undefined | Promise<{ status: number; body?: unknown; headers?: Record<string, string> } | undefined>;

/**
 * The platform as a test fakes it, in-process: an {@link ApiTransport} that answers the Lambda,
 * SQS and admin calls the runner makes from a little state (zone health follows the actuator's
 * kills and restarts), and records every call. A virtual world answers through the same interface
 * with the coordinator's real route table.
 */
export class FakePlatform implements ApiTransport, FaultActuator {
  readonly calls: Call[] = [];
  readonly down = new Set<string>();
  /** Fault windows opened and not closed. */
  readonly windows = new Set<string>();
  /** Answers tried before the defaults (a test's special case). */
  routes: FakeRoute[] = [];
  #invocations = 0;

  constructor(readonly nodes: readonly WorldNode[]) {}

  async request(req: ApiRequest, _options?: ApiCallOptions): Promise<ApiResponse> {
    const body = req.body && req.body.length > 0 ? JSON.parse(req.body.toString('utf8')) : undefined;
    const path = req.path.split('?')[0]!;
    if (!path.endsWith('/invocations')) this.calls.push(`${req.method} ${path}`);
    for (const route of this.routes) {
      const r = await route(req, body);
      if (r) return answer(r.status, r.body, r.headers);
    }
    if (path.endsWith('/invocations')) {
      const id = `req-${++this.#invocations}`;
      const event = req.headers?.['x-amz-invocation-type'] === 'Event';
      const zone = this.nodes.find((n) => !this.down.has(n.nodeId))?.zone ?? 'none';
      return answer(event ? 202 : 200, event ? undefined : { ok: true }, { 'x-amzn-requestid': id, 'x-zonesim-zone': zone });
    }
    if (req.method === 'POST' && path === '/2015-03-31/functions') return answer(201, { FunctionName: body.FunctionName });
    if (path === '/zonesim/v1/zones') {
      const zones = [...new Set(this.nodes.map((n) => n.zone))].map((zone) => {
        const nodes = this.nodes.filter((n) => n.zone === zone).map((n) => ({ nodeId: n.nodeId, health: this.down.has(n.nodeId) ? 'down' : 'healthy' }));
        return { zone, health: nodes.every((n) => n.health === 'down') ? 'down' : 'healthy', nodes: nodes.filter((n) => n.health !== 'down') };
      });
      return answer(200, { zones, placement: 'spread' });
    }
    if (req.method === 'POST' && path === '/zonesim/v1/faults') {
      this.windows.add(body.id);
      return answer(201, { ...body, startAt: 0 });
    }
    if (req.method === 'DELETE' && path.startsWith('/zonesim/v1/faults/')) {
      this.windows.delete(decodeURIComponent(path.slice('/zonesim/v1/faults/'.length)));
      return answer(200, {});
    }
    if (path === '/zonesim/v1/async') return answer(200, { queue: { queued: 0, inFlight: 0 }, dispatcher: null });
    if (path === '/zonesim/v1/async/pending') return answer(200, { pending: [] });
    if (path === '/zonesim/v1/dead-letters') return answer(200, { deadLetters: [] });
    if (path === '/zonesim/v1/queues') return answer(200, { queues: [], stats: {} });
    return answer(404, { message: `no fake for ${req.method} ${path}` }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
  }

  close(): void {}

  kill(nodeId: string): void {
    this.calls.push(`kill ${nodeId}`);
    this.down.add(nodeId);
  }

  pause(nodeId: string): void {
    this.calls.push(`pause ${nodeId}`);
  }

  resume(nodeId: string): void {
    this.calls.push(`resume ${nodeId}`);
  }

  async restart(nodeId: string): Promise<void> {
    this.calls.push(`restart ${nodeId}`);
    this.down.delete(nodeId);
  }

  hasLink(): boolean {
    return true;
  }

  addToxic(nodeId: string, toxic: Toxic): string {
    this.calls.push(`toxic ${nodeId} ${toxic.type}`);
    return `${nodeId}/${toxic.type}`;
  }

  removeToxic(nodeId: string, toxicId: string): void {
    this.calls.push(`untoxic ${nodeId} ${toxicId}`);
  }

  resetLink(nodeId: string): void {
    this.calls.push(`reset ${nodeId}`);
  }

  async killCoordinator(): Promise<void> {
    this.calls.push('kill coordinator');
  }

  async restartCoordinator(): Promise<void> {
    this.calls.push('restart coordinator');
  }
}

function answer(status: number, body?: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(body === undefined ? '' : JSON.stringify(body)) };
}

/** A {@link RunWorld} over a {@link FakePlatform} and a test's clock; it records its lifecycle in `platform.calls`. */
export class FakeWorld implements RunWorld {
  readonly description = 'a fake platform';
  readonly nodes: readonly WorldNode[];
  readonly platform: FakePlatform;
  readonly client: ClusterClient;
  readonly api: ApiClient;
  readonly admin: AdminClient;
  readonly faults: FaultActuator;
  destroyed = false;

  constructor(
    scenario: ResolvedScenario,
    readonly clock: Clock,
  ) {
    this.nodes = topology(scenario).nodes.map((n) => ({ zone: n.zone, nodeId: n.nodeId }));
    this.platform = new FakePlatform(this.nodes);
    this.client = new ApiClusterClient(this.platform);
    this.api = new ApiClient(this.platform);
    this.admin = new AdminClient(this.api);
    this.faults = this.platform;
  }

  async start(): Promise<WorldInfo> {
    this.platform.calls.push('world start');
    return { apiUrl: undefined, endpoint: 'in-process fake' };
  }

  async stop(): Promise<void> {
    this.platform.calls.push('world stop');
  }

  destroy(): void {
    this.platform.calls.push('world destroy');
    this.destroyed = true;
  }

  async collect(): Promise<void> {
    this.platform.calls.push('world collect');
  }
}
