import { SqsError, invalidParameter, missingParameter } from './errors.js';
import { md5OfMessageAttributes, type MessageAttribute } from './md5.js';
import { selectAttributes, type SendInput } from './message-input.js';
import type { NewMessage, ReceivedMessage } from './queue-messages.js';
import type { QueueService } from './queue-service.js';

/** One action of the SQS JSON protocol: the decoded body in, the JSON body out. */
export type SqsAction = (service: QueueService, input: Record<string, unknown>, signal: AbortSignal) => Promise<Record<string, unknown>> | Record<string, unknown>;

/** Most entries in a batch request (SQS's 10). */
export const MAX_BATCH_ENTRIES = 10;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;
const SYSTEM_ATTRIBUTES = ['SenderId', 'SentTimestamp', 'ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp', 'AWSTraceHeader', 'DeadLetterQueueSourceArn'] as const;

/**
 * The operations the built-in queue service speaks (`X-Amz-Target: AmazonSQS.<Action>`), with
 * SQS's request and response shapes (API version 2012-11-05, awsJson1_0). Decoded bodies are
 * `unknown` until each action has checked the fields it reads.
 */
export const SQS_ACTIONS: Readonly<Record<string, SqsAction>> = {
  CreateQueue: (s, i) => {
    const q = s.createQueue(i['QueueName'], optionalMap(i, 'Attributes'), stringMap(optionalMap(i, 'tags')));
    return { QueueUrl: s.queueUrl(q.name) };
  },
  GetQueueUrl: (s, i) => {
    const name = i['QueueName'];
    if (typeof name !== 'string' || name === '') throw missingParameter('QueueName');
    const owner = i['QueueOwnerAWSAccountId'];
    if (owner !== undefined && owner !== s.accountId) throw new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');
    return { QueueUrl: s.queueUrl(s.byName(name).name) };
  },
  DeleteQueue: (s, i) => {
    s.deleteQueue(s.byUrl(i['QueueUrl']));
    return {};
  },
  ListQueues: (s, i) => {
    const prefix = optionalString(i, 'QueueNamePrefix') ?? '';
    const max = optionalInt(i, 'MaxResults', 1, 1000);
    const token = optionalString(i, 'NextToken');
    let names = s.list(prefix).map((q) => q.name);
    if (token !== undefined) names = names.filter((n) => n > Buffer.from(token, 'base64url').toString('utf8'));
    const page = names.slice(0, max ?? 1000);
    const more = max !== undefined && names.length > page.length;
    return { QueueUrls: page.map((n) => s.queueUrl(n)), ...(more ? { NextToken: Buffer.from(page.at(-1)!).toString('base64url') } : {}) };
  },
  ListDeadLetterSourceQueues: (s, i) => {
    const dlq = s.byUrl(i['QueueUrl']);
    const arn = s.queueArn(dlq.name);
    return { queueUrls: s.list().filter((q) => q.settings.RedrivePolicy?.deadLetterTargetArn === arn).map((q) => s.queueUrl(q.name)) };
  },
  GetQueueAttributes: (s, i) => {
    const names = optionalStringList(i, 'AttributeNames') ?? [];
    const attributes = s.getAttributes(s.byUrl(i['QueueUrl']), names);
    return Object.keys(attributes).length === 0 ? {} : { Attributes: attributes };
  },
  SetQueueAttributes: (s, i) => {
    const attributes = optionalMap(i, 'Attributes');
    if (!attributes) throw missingParameter('Attributes');
    s.setAttributes(s.byUrl(i['QueueUrl']), attributes);
    return {};
  },
  PurgeQueue: (s, i) => {
    s.purge(s.byUrl(i['QueueUrl']));
    return {};
  },
  TagQueue: (s, i) => {
    const q = s.byUrl(i['QueueUrl']);
    s.setTags(q, { ...q.tags, ...stringMap(optionalMap(i, 'Tags')) });
    return {};
  },
  UntagQueue: (s, i) => {
    const q = s.byUrl(i['QueueUrl']);
    const keys = optionalStringList(i, 'TagKeys') ?? [];
    s.setTags(q, Object.fromEntries(Object.entries(q.tags).filter(([k]) => !keys.includes(k))));
    return {};
  },
  ListQueueTags: (s, i) => {
    const q = s.byUrl(i['QueueUrl']);
    return Object.keys(q.tags).length === 0 ? {} : { Tags: q.tags };
  },
  SendMessage: async (s, i) => {
    const q = s.byUrl(i['QueueUrl']);
    const sent = await s.send(q, sendInput(i));
    return { MessageId: sent.messageId, MD5OfMessageBody: sent.md5Body, ...(sent.md5Attributes ? { MD5OfMessageAttributes: sent.md5Attributes } : {}) };
  },
  SendMessageBatch: async (s, i) => {
    const q = s.byUrl(i['QueueUrl']);
    const entries = batchEntries(i);
    const failed: Array<Record<string, unknown>> = [];
    const prepared: Array<{ id: string; m: NewMessage }> = [];
    let total = 0;
    for (const e of entries) {
      try {
        const m = s.prepare(q, sendInput(e));
        total += m.sizeBytes;
        prepared.push({ id: e['Id'] as string, m });
      } catch (err) {
        failed.push(failure(e['Id'] as string, err));
      }
    }
    if (total > q.settings.MaximumMessageSize) {
      throw new SqsError('BatchRequestTooLong', `Batch requests cannot be longer than ${q.settings.MaximumMessageSize} bytes. You have sent ${total} bytes.`);
    }
    const sent = await s.commit(prepared.map((p) => p.m));
    return {
      Successful: sent.map((m, k) => ({
        Id: prepared[k]!.id,
        MessageId: m.messageId,
        MD5OfMessageBody: m.md5Body,
        ...(m.md5Attributes ? { MD5OfMessageAttributes: m.md5Attributes } : {}),
      })),
      Failed: failed,
    };
  },
  ReceiveMessage: async (s, i, signal) => {
    const q = s.byUrl(i['QueueUrl']);
    const max = optionalInt(i, 'MaxNumberOfMessages', 1, 10) ?? 1;
    const visibilityTimeout = optionalInt(i, 'VisibilityTimeout', 0, 43_200);
    const waitTimeSeconds = optionalInt(i, 'WaitTimeSeconds', 0, 20);
    const system = [...(optionalStringList(i, 'AttributeNames') ?? []), ...(optionalStringList(i, 'MessageSystemAttributeNames') ?? [])];
    const userNames = optionalStringList(i, 'MessageAttributeNames') ?? [];
    const messages = await s.receive(q, {
      max,
      ...(visibilityTimeout !== undefined ? { visibilityTimeout } : {}),
      ...(waitTimeSeconds !== undefined ? { waitTimeSeconds } : {}),
      signal,
    });
    if (messages.length === 0) return {};
    return { Messages: messages.map((m) => wireMessage(s, m, system, userNames)) };
  },
  DeleteMessage: (s, i) => {
    s.delete(s.byUrl(i['QueueUrl']), i['ReceiptHandle']);
    return {};
  },
  DeleteMessageBatch: (s, i) => {
    const q = s.byUrl(i['QueueUrl']);
    return perEntry(batchEntries(i), (e) => s.delete(q, e['ReceiptHandle']));
  },
  ChangeMessageVisibility: (s, i) => {
    s.changeVisibility(s.byUrl(i['QueueUrl']), i['ReceiptHandle'], i['VisibilityTimeout']);
    return {};
  },
  ChangeMessageVisibilityBatch: (s, i) => {
    const q = s.byUrl(i['QueueUrl']);
    return perEntry(batchEntries(i), (e) => s.changeVisibility(q, e['ReceiptHandle'], e['VisibilityTimeout']));
  },
};

/** A received message as the wire shows it, with the system and user attributes asked for. */
export function wireMessage(s: QueueService, m: ReceivedMessage, system: readonly string[], userNames: readonly string[]): Record<string, unknown> {
  const all = system.includes('All');
  const attrs: Record<string, string> = {};
  const values: Record<string, string | undefined> = {
    SenderId: m.senderId,
    SentTimestamp: String(m.sentAt),
    ApproximateReceiveCount: String(m.receiveCount),
    ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt),
    AWSTraceHeader: m.traceHeader,
    DeadLetterQueueSourceArn: m.deadLetterFrom === undefined ? undefined : s.queueArn(m.deadLetterFrom),
  };
  for (const name of SYSTEM_ATTRIBUTES) {
    const v = values[name];
    if (v !== undefined && (all || system.includes(name))) attrs[name] = v;
  }
  const user = selectAttributes(m.attributes, userNames);
  // SQS digests the attributes it returns, not all the message has.
  const md5 = md5OfMessageAttributes(user);
  return {
    MessageId: m.messageId,
    ReceiptHandle: m.receiptHandle,
    MD5OfBody: m.md5Body,
    Body: m.body,
    ...(Object.keys(attrs).length > 0 ? { Attributes: attrs } : {}),
    ...(user ? { MessageAttributes: toWireAttributes(user), MD5OfMessageAttributes: md5 } : {}),
  };
}

/** Message attributes as SQS's JSON shows them (binary values base64). */
export function toWireAttributes(attrs: Record<string, MessageAttribute>): Record<string, Record<string, string>> {
  return Object.fromEntries(
    Object.entries(attrs).map(([k, a]) => [k, { DataType: a.dataType, ...(a.binaryValue ? { BinaryValue: a.binaryValue.toString('base64') } : { StringValue: a.stringValue ?? '' }) }]),
  );
}

function sendInput(i: Record<string, unknown>): SendInput {
  const trace = (i['MessageSystemAttributes'] as Record<string, { StringValue?: unknown }> | undefined)?.['AWSTraceHeader']?.StringValue;
  return {
    body: i['MessageBody'],
    delaySeconds: i['DelaySeconds'],
    messageAttributes: i['MessageAttributes'],
    ...(typeof trace === 'string' ? { traceHeader: trace } : {}),
  };
}

/** Entries of a batch request: 1-10, ids well-formed and distinct. */
function batchEntries(i: Record<string, unknown>): Array<Record<string, unknown>> {
  const entries = i['Entries'];
  if (entries === undefined || (Array.isArray(entries) && entries.length === 0)) throw new SqsError('EmptyBatchRequest', 'There should be at least one SendMessageBatchRequestEntry in the request.');
  if (!Array.isArray(entries)) throw invalidParameter('Entries must be a list.');
  if (entries.length > MAX_BATCH_ENTRIES) throw new SqsError('TooManyEntriesInBatchRequest', `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`);
  const ids = new Set<string>();
  for (const e of entries) {
    const id = (e as Record<string, unknown> | null)?.['Id'];
    if (typeof id !== 'string' || !BATCH_ENTRY_ID.test(id)) {
      throw new SqsError('InvalidBatchEntryId', 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.');
    }
    if (ids.has(id)) throw new SqsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    ids.add(id);
  }
  return entries as Array<Record<string, unknown>>;
}

function perEntry(entries: Array<Record<string, unknown>>, run: (e: Record<string, unknown>) => void): Record<string, unknown> {
  const successful: Array<{ Id: string }> = [];
  const failed: Array<Record<string, unknown>> = [];
  for (const e of entries) {
    try {
      run(e);
      successful.push({ Id: e['Id'] as string });
    } catch (err) {
      failed.push(failure(e['Id'] as string, err));
    }
  }
  return { Successful: successful, Failed: failed };
}

function failure(id: string, err: unknown): Record<string, unknown> {
  const e = err instanceof SqsError ? err : new SqsError('InternalError', (err as Error).message);
  return { Id: id, SenderFault: e.fault === 'Sender', Code: e.wire.queryCode, Message: e.message };
}

function optionalString(i: Record<string, unknown>, key: string): string | undefined {
  const v = i[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidParameter(`${key} must be a string.`);
  return v;
}

function optionalInt(i: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const v = i[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw invalidParameter(`Value ${String(v)} for parameter ${key} is invalid. Reason: Must be between ${min} and ${max}, if provided.`);
  }
  return v;
}

function optionalStringList(i: Record<string, unknown>, key: string): string[] | undefined {
  const v = i[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalidParameter(`${key} must be a list of strings.`);
  return v as string[];
}

function optionalMap(i: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const v = i[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidParameter(`${key} must be a map.`);
  return v as Record<string, unknown>;
}

function stringMap(v: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v ?? {})) {
    if (typeof x !== 'string') throw invalidParameter(`Tag ${k} must have a string value.`);
    out[k] = x;
  }
  return out;
}
