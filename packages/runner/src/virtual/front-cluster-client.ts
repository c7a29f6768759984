import type { Clock, Entropy, TimerHandle } from '@zonesim/common';
import { LambdaApiError, type CoordinatorCore } from '@zonesim/coordinator';
import type { ClusterClient, InvokeAnswer } from '../client/cluster-client.js';

/**
 * The load's invocations in virtual time, handed to the coordinator's `InvokeFront` as values (the
 * Invoke API's own checks, then the one invocation pipeline), without building an HTTP request
 * for each: what a client would read from the answer's headers is read from the answer's values.
 * Brownout is decided by the core, as for a request that came over HTTP. Queue messages and log
 * tails go through `fallback` (the in-process front door). Never rejects, like every ClusterClient.
 */
export class FrontClusterClient implements ClusterClient {
  readonly #core: () => CoordinatorCore | undefined;
  readonly #clock: Clock;
  readonly #entropy: Entropy;
  readonly #fallback: ClusterClient;
  readonly #waiting = new Set<(answer: InvokeAnswer) => void>();

  constructor(components: { core: () => CoordinatorCore | undefined; clock: Clock; entropy: Entropy; fallback: ClusterClient }) {
    this.#core = components.core;
    this.#clock = components.clock;
    this.#entropy = components.entropy;
    this.#fallback = components.fallback;
  }

  /** The coordinator crashed: every invocation waiting for its answer gets a reset connection. */
  resetAll(): void {
    for (const settle of [...this.#waiting]) settle({ status: null, errorType: 'ECONNRESET' });
  }

  invoke(name: string, payload: unknown, invocation: 'sync' | 'async', timeoutMs: number): Promise<InvokeAnswer> {
    const core = this.#core();
    if (!core) return Promise.resolve({ status: null, errorType: 'ECONNREFUSED' });
    return new Promise<InvokeAnswer>((resolve) => {
      let timer: TimerHandle | undefined;
      const settle = (answer: InvokeAnswer): void => {
        if (!this.#waiting.delete(settle)) return;
        if (timer !== undefined) this.#clock.clearTimeout(timer);
        resolve(answer);
      };
      this.#waiting.add(settle);
      timer = this.#clock.setTimeout(() => settle({ status: null, errorType: 'ClientTimeout' }), timeoutMs);
      this.#call(core, name, payload, invocation).then(settle, (err: unknown) => settle(errorAnswer(err)));
    });
  }

  async #call(core: CoordinatorCore, name: string, payload: unknown, invocation: 'sync' | 'async'): Promise<InvokeAnswer> {
    const requestId = this.#entropy.uuid();
    try {
      if (core.browningOut()) throw core.brownoutError();
      const front = core.invokeFront;
      const parsed = front.parse({ functionName: name, invocationType: invocation === 'async' ? 'Event' : 'RequestResponse' });
      const answer = await front.invoke(parsed, Buffer.from(JSON.stringify(payload ?? {})), requestId);
      const h = answer.headers;
      const out: InvokeAnswer = { status: answer.status, requestId };
      const zone = h['x-zonesim-zone'];
      if (zone !== undefined) out.zone = String(zone);
      const functionError = h['x-amz-function-error'];
      if (functionError !== undefined) out.functionError = String(functionError);
      return out;
    } catch (err) {
      return { ...errorAnswer(err), requestId };
    }
  }

  sendMessage(queueUrl: string, body: string, timeoutMs: number): Promise<InvokeAnswer> {
    return this.#fallback.sendMessage(queueUrl, body, timeoutMs);
  }

  invokeWithLogTail(name: string, payload: unknown): Promise<string | undefined> {
    return this.#fallback.invokeWithLogTail(name, payload);
  }
}

/** What a client reads from an error answer: its status, `x-amzn-ErrorType` and a throttle's Reason. */
function errorAnswer(err: unknown): InvokeAnswer {
  if (err instanceof LambdaApiError) {
    const answer: InvokeAnswer = { status: err.status, errorType: err.type };
    const reason = err.extra['Reason'];
    if (err.status === 429 && typeof reason === 'string') answer.throttleReason = reason;
    return answer;
  }
  return { status: 500, errorType: 'ServiceException' };
}
