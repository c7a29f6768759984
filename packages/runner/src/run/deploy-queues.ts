import type { Clock } from '@zonesim/common';
import type { ResolvedFunction, ResolvedQueue } from '@zonesim/scenario';
import type { ApiClient } from '../client/api-client.js';
import { sleep } from '../clock-wait.js';

/** The account the coordinator's queues live in (its default). */
const ACCOUNT = '000000000000';

function check(what: string, r: { status: number; body: any }, ok: number[]): any {
  if (!ok.includes(r.status)) throw new Error(`${what} failed: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
  return r.body;
}

/**
 * Creates a scenario's queues through SQS's JSON protocol, as a user would: every queue first, then
 * the redrive policies (a dead-letter queue must exist before a policy names it). Returns each
 * queue's URL.
 */
export async function deployQueues(client: ApiClient, queues: readonly ResolvedQueue[], options: { signal?: AbortSignal; region?: string } = {}): Promise<Map<string, string>> {
  const urls = new Map<string, string>();
  const region = options.region ?? 'us-east-1';
  for (const q of queues) {
    options.signal?.throwIfAborted();
    const attributes: Record<string, string> = {
      VisibilityTimeout: String(q.visibilityTimeoutSec),
      DelaySeconds: String(q.delaySec),
      ...(q.retentionSec !== undefined ? { MessageRetentionPeriod: String(q.retentionSec) } : {}),
    };
    const body = check(`CreateQueue ${q.name}`, await client.sqs('CreateQueue', { QueueName: q.name, Attributes: attributes }), [200]);
    urls.set(q.name, body.QueueUrl as string);
  }
  for (const q of queues) {
    if (!q.deadLetterQueue) continue;
    const policy = JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:${region}:${ACCOUNT}:${q.deadLetterQueue}`, maxReceiveCount: q.maxReceiveCount });
    check(`SetQueueAttributes ${q.name}`, await client.sqs('SetQueueAttributes', { QueueUrl: urls.get(q.name), Attributes: { RedrivePolicy: policy } }), [200]);
  }
  return urls;
}

/**
 * Creates the functions' event source mappings through the Lambda API and waits until each has
 * left `Creating`, so that the load starts with the pollers running.
 */
export async function deployMappings(
  client: ApiClient,
  functions: readonly ResolvedFunction[],
  options: {
    /** Waits for the mappings pass on it. */
    clock: Clock;
    signal?: AbortSignal;
    region?: string;
    /** How long the mappings may stay `Creating`. @default 30000 */
    timeoutMs?: number;
  },
): Promise<string[]> {
  const clock = options.clock;
  const region = options.region ?? 'us-east-1';
  const uuids: string[] = [];
  for (const fn of functions) {
    for (const t of fn.triggers ?? []) {
      options.signal?.throwIfAborted();
      const body = check(`CreateEventSourceMapping ${t.queue} -> ${fn.name}`, await client.json('POST', '/2015-03-31/event-source-mappings', {
        EventSourceArn: `arn:aws:sqs:${region}:${ACCOUNT}:${t.queue}`,
        FunctionName: fn.name,
        BatchSize: t.batchSize,
        MaximumBatchingWindowInSeconds: t.batchingWindowSec,
        Enabled: t.enabled,
        ...(t.reportBatchItemFailures ? { FunctionResponseTypes: ['ReportBatchItemFailures'] } : {}),
        ...(t.maxConcurrency !== undefined ? { ScalingConfig: { MaximumConcurrency: t.maxConcurrency } } : {}),
      }), [202]);
      uuids.push(body.UUID as string);
    }
  }
  const deadline = clock.now() + (options.timeoutMs ?? 30_000);
  for (const uuid of uuids) {
    for (;;) {
      const state = check(`GetEventSourceMapping ${uuid}`, await client.json('GET', `/2015-03-31/event-source-mappings/${uuid}`), [200]).State as string;
      if (state === 'Enabled' || state === 'Disabled') break;
      if (clock.now() > deadline) throw new Error(`event source mapping ${uuid} still ${state}`);
      await sleep(clock, 50);
    }
  }
  return uuids;
}
