import type { MessageAttribute } from '../queues/md5.js';
import { md5OfMessageAttributes } from '../queues/md5.js';
import type { ReceivedMessage } from '../queues/queue-messages.js';

/** One record of Lambda's SQS event (lambda-facts 7.1). */
export interface SqsEventRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: Record<string, string>;
  messageAttributes: Record<string, SqsEventMessageAttribute>;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  eventSource: 'aws:sqs';
  eventSourceARN: string;
  awsRegion: string;
}

/** A message attribute as Lambda shows it in the event (camelCase, list fields empty). */
export interface SqsEventMessageAttribute {
  stringValue?: string;
  binaryValue?: string;
  stringListValues: string[];
  binaryListValues: string[];
  dataType: string;
}

/** Builds Lambda's SQS event for a batch of received messages. */
export function sqsEvent(messages: readonly ReceivedMessage[], queueArn: string, region: string): { Records: SqsEventRecord[] } {
  return {
    Records: messages.map((m) => {
      const md5Attrs = md5OfMessageAttributes(m.attributes);
      return {
        messageId: m.messageId,
        receiptHandle: m.receiptHandle,
        body: m.body,
        attributes: {
          ApproximateReceiveCount: String(m.receiveCount),
          SentTimestamp: String(m.sentAt),
          SenderId: m.senderId,
          ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt),
          ...(m.traceHeader ? { AWSTraceHeader: m.traceHeader } : {}),
        },
        messageAttributes: eventAttributes(m.attributes),
        md5OfBody: m.md5Body,
        ...(md5Attrs ? { md5OfMessageAttributes: md5Attrs } : {}),
        eventSource: 'aws:sqs' as const,
        eventSourceARN: queueArn,
        awsRegion: region,
      };
    }),
  };
}

function eventAttributes(attrs: Record<string, MessageAttribute> | undefined): Record<string, SqsEventMessageAttribute> {
  return Object.fromEntries(
    Object.entries(attrs ?? {}).map(([k, a]) => [
      k,
      {
        ...(a.binaryValue ? { binaryValue: a.binaryValue.toString('base64') } : { stringValue: a.stringValue ?? '' }),
        stringListValues: [],
        binaryListValues: [],
        dataType: a.dataType,
      },
    ]),
  );
}

/** What a batch's invocation result means for its messages. */
export type BatchVerdict =
  | { kind: 'all-succeeded' }
  | { kind: 'partial'; failed: ReadonlySet<string> }
  | { kind: 'all-failed'; reason: string };

/**
 * Reads a successful invocation's response under `ReportBatchItemFailures` (lambda-facts 7.1):
 * `{"batchItemFailures":[{"itemIdentifier":"<messageId>"}]}` fails just those items. A null or
 * empty response, or a null or empty list, is a full success. Invalid JSON, a non-object item, an
 * item without a non-empty string `itemIdentifier` (a wrong key name included), or an id that is
 * not in the batch fails the whole batch, as Lambda does. A response that is valid JSON but neither
 * null nor an object (a string, a number, a list) also fails the whole batch: zonesim's choice,
 * since Lambda documents only objects.
 */
export function batchVerdict(payload: string | undefined, batchIds: ReadonlySet<string>): BatchVerdict {
  if (payload === undefined || payload.trim() === '') return { kind: 'all-succeeded' };
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return { kind: 'all-failed', reason: 'the response is not valid JSON' };
  }
  if (value === null) return { kind: 'all-succeeded' };
  if (typeof value !== 'object' || Array.isArray(value)) return { kind: 'all-failed', reason: 'the response is not a JSON object' };
  const list = (value as Record<string, unknown>)['batchItemFailures'];
  if (list === undefined || list === null) return { kind: 'all-succeeded' };
  if (!Array.isArray(list)) return { kind: 'all-failed', reason: 'batchItemFailures is not a list' };
  if (list.length === 0) return { kind: 'all-succeeded' };
  const failed = new Set<string>();
  for (const item of list) {
    const id = (item as Record<string, unknown> | null)?.['itemIdentifier'];
    if (typeof id !== 'string' || id === '') return { kind: 'all-failed', reason: 'a batch item failure has no itemIdentifier' };
    if (!batchIds.has(id)) return { kind: 'all-failed', reason: `itemIdentifier ${id.slice(0, 100)} is not a message of the batch` };
    failed.add(id);
  }
  return { kind: 'partial', failed };
}
