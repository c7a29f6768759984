import { ApiClient, expectStatus, type JsonCallOptions } from './api-client.js';
import type { ApiCallOptions, ApiTransport } from './api-transport.js';
import type {
  AsyncStatusView,
  ClusterStatsView,
  DeadLetterView,
  Degradation,
  FaultWindowView,
  OpenFaultInput,
  PendingEventView,
  QueueMessagesPage,
  QueuesView,
  ZonesView,
} from './admin-types.js';

const OK = [200];
const CREATED = [201];
const NO_CONTENT = [204];

/**
 * zonesim's admin API (`/zonesim/v1/...`, docs/api.md), typed: the coordinator's view of zones,
 * stats, fault windows, brownout and gray failures, the async queue and its dead letters, the
 * queue service's queues and where each message ended up. Signed like every other call when the
 * transport has credentials. Each method resolves with the answer's body, or rejects with
 * `AdminApiError` (an unexpected status, named after the operation, e.g. `degrade az-a: HTTP 400`),
 * `ApiConnectionError` or `ApiTimeoutError`.
 */
export class AdminClient {
  readonly #api: ApiClient;

  constructor(transport: ApiTransport | ApiClient) {
    this.#api = transport instanceof ApiClient ? transport : new ApiClient(transport);
  }

  /** `GET /zonesim/v1/zones`: every zone and node with its health. */
  async zones(options?: ApiCallOptions): Promise<ZonesView> {
    return this.#call('zones', 'GET', '/zonesim/v1/zones', undefined, OK, options);
  }

  /** `GET /zonesim/v1/stats`. */
  async stats(options?: ApiCallOptions): Promise<ClusterStatsView> {
    return this.#call('stats', 'GET', '/zonesim/v1/stats', undefined, OK, options);
  }

  /** `GET /zonesim/v1/faults`: the fault windows, open and closed. */
  async faults(options?: ApiCallOptions): Promise<FaultWindowView[]> {
    return ((await this.#call('faults', 'GET', '/zonesim/v1/faults', undefined, OK, options)) as { faults: FaultWindowView[] }).faults;
  }

  /** `POST /zonesim/v1/faults`: opens a fault window. */
  async openFault(input: OpenFaultInput, options?: ApiCallOptions): Promise<FaultWindowView> {
    return this.#call(`open fault ${input.id}`, 'POST', '/zonesim/v1/faults', input, CREATED, options);
  }

  /** `DELETE /zonesim/v1/faults/{id}`: closes a fault window. */
  async closeFault(id: string, options?: ApiCallOptions): Promise<FaultWindowView> {
    return this.#call(`close fault ${id}`, 'DELETE', `/zonesim/v1/faults/${encodeURIComponent(id)}`, undefined, OK, options);
  }

  /** `PUT /zonesim/v1/brownout`: the front door fails this fraction of Lambda API calls. */
  async setBrownout(failRate: number, options?: ApiCallOptions): Promise<{ failRate: number }> {
    return this.#call('brownout', 'PUT', '/zonesim/v1/brownout', { failRate }, OK, options);
  }

  /** `DELETE /zonesim/v1/brownout`. */
  async clearBrownout(options?: ApiCallOptions): Promise<void> {
    await this.#call('brownout off', 'DELETE', '/zonesim/v1/brownout', undefined, NO_CONTENT, options);
  }

  /** `PUT /zonesim/v1/zones/{zone}/degrade`: a gray failure of one zone. */
  async degradeZone(zone: string, degradation: Degradation, options?: ApiCallOptions): Promise<Degradation & { zone: string }> {
    return this.#call(`degrade ${zone}`, 'PUT', `/zonesim/v1/zones/${encodeURIComponent(zone)}/degrade`, degradation, OK, options);
  }

  /** `DELETE /zonesim/v1/zones/{zone}/degrade`. */
  async healZone(zone: string, options?: ApiCallOptions): Promise<void> {
    await this.#call(`heal ${zone}`, 'DELETE', `/zonesim/v1/zones/${encodeURIComponent(zone)}/degrade`, undefined, NO_CONTENT, options);
  }

  /** `PUT /zonesim/v1/nodes/{nodeId}/degrade`: a gray failure of one node. */
  async degradeNode(nodeId: string, degradation: Degradation, options?: ApiCallOptions): Promise<Degradation & { nodeId: string }> {
    return this.#call(`degrade ${nodeId}`, 'PUT', `/zonesim/v1/nodes/${encodeURIComponent(nodeId)}/degrade`, degradation, OK, options);
  }

  /** `DELETE /zonesim/v1/nodes/{nodeId}/degrade`. */
  async healNode(nodeId: string, options?: ApiCallOptions): Promise<void> {
    await this.#call(`heal ${nodeId}`, 'DELETE', `/zonesim/v1/nodes/${encodeURIComponent(nodeId)}/degrade`, undefined, NO_CONTENT, options);
  }

  /** `GET /zonesim/v1/async`: the async queue's counts and the dispatcher's counters. */
  async asyncStatus(options?: ApiCallOptions): Promise<AsyncStatusView> {
    return this.#call('async status', 'GET', '/zonesim/v1/async', undefined, OK, options);
  }

  /** `GET /zonesim/v1/async/pending`: events still queued or in flight, `limit` (1-100000) from `offset`. */
  async pendingEvents(page: { limit: number; offset: number }, options?: ApiCallOptions): Promise<PendingEventView[]> {
    const q = new URLSearchParams({ limit: String(page.limit), offset: String(page.offset) });
    return ((await this.#call('pending events', 'GET', `/zonesim/v1/async/pending?${q}`, undefined, OK, options)) as { pending: PendingEventView[] }).pending;
  }

  /** `GET /zonesim/v1/dead-letters`: `limit` (1-1000) dead letters from `offset`, of one function or all. */
  async deadLetters(page: { limit: number; offset: number; functionName?: string }, options?: ApiCallOptions): Promise<DeadLetterView[]> {
    const q = new URLSearchParams({ limit: String(page.limit), offset: String(page.offset), ...(page.functionName ? { function: page.functionName } : {}) });
    return ((await this.#call('dead letters', 'GET', `/zonesim/v1/dead-letters?${q}`, undefined, OK, options)) as { deadLetters: DeadLetterView[] }).deadLetters;
  }

  /** `POST /zonesim/v1/dead-letters/redrive`: these events (or all, of one function or every one) back on the queue. */
  async redriveDeadLetters(which: { ids: readonly string[] } | { all: true; functionName?: string }, options?: ApiCallOptions): Promise<string[]> {
    const body = 'ids' in which ? { ids: which.ids } : { all: true, ...(which.functionName ? { function: which.functionName } : {}) };
    return ((await this.#call('redrive', 'POST', '/zonesim/v1/dead-letters/redrive', body, OK, options)) as { redriven: string[] }).redriven;
  }

  /** `GET /zonesim/v1/queues`: every queue with its visible, in-flight and delayed counts. */
  async queues(options?: ApiCallOptions): Promise<QueuesView> {
    return this.#call('queues', 'GET', '/zonesim/v1/queues', undefined, OK, options);
  }

  /** `GET /zonesim/v1/queue-messages`: where each message ended up, `limit` (1-10000) after `after`. */
  async queueMessages(page: { after: number; limit: number }, options?: ApiCallOptions): Promise<QueueMessagesPage> {
    const q = new URLSearchParams({ after: String(page.after), limit: String(page.limit) });
    return this.#call('queue messages', 'GET', `/zonesim/v1/queue-messages?${q}`, undefined, OK, options);
  }

  async #call(operation: string, method: string, path: string, body: unknown, ok: readonly number[], options: JsonCallOptions = {}): Promise<any> {
    return expectStatus(operation, await this.#api.json(method, path, body, options), ok);
  }
}
