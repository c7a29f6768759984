import { SqsError } from './errors.js';

/** A queue's redrive policy: after `maxReceiveCount` receives a message moves to the dead-letter queue. */
export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

/** The settable attributes of a standard queue, resolved (SQS's names, numbers in seconds/bytes). */
export interface QueueSettings {
  /** @default 0 (0-900 s) */
  DelaySeconds: number;
  /** @default 262144 (1024-1048576 bytes) */
  MaximumMessageSize: number;
  /** @default 345600 (4 days; 60-1209600 s) */
  MessageRetentionPeriod: number;
  /** @default 0 (0-20 s) */
  ReceiveMessageWaitTimeSeconds: number;
  /** @default 30 (0-43200 s) */
  VisibilityTimeout: number;
  RedrivePolicy?: RedrivePolicy;
  /** Kept and returned, not enforced (zonesim has no IAM, KMS or redrive permissions). */
  passthrough: Record<string, string>;
}

/** SQS's defaults for a standard queue. */
export const DEFAULT_QUEUE_SETTINGS: Omit<QueueSettings, 'passthrough'> = {
  DelaySeconds: 0,
  MaximumMessageSize: 262_144,
  MessageRetentionPeriod: 345_600,
  ReceiveMessageWaitTimeSeconds: 0,
  VisibilityTimeout: 30,
};

const RANGES: Record<'DelaySeconds' | 'MaximumMessageSize' | 'MessageRetentionPeriod' | 'ReceiveMessageWaitTimeSeconds' | 'VisibilityTimeout', [number, number]> = {
  DelaySeconds: [0, 900],
  MaximumMessageSize: [1024, 1_048_576],
  MessageRetentionPeriod: [60, 1_209_600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  VisibilityTimeout: [0, 43_200],
};

/** Attributes accepted and stored as given. */
const PASSTHROUGH = new Set(['Policy', 'KmsMasterKeyId', 'KmsDataKeyReusePeriodSeconds', 'SqsManagedSseEnabled', 'RedriveAllowPolicy']);

/** Attributes only GetQueueAttributes returns. */
export const READ_ONLY_ATTRIBUTES = [
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
] as const;

const SQS_ARN = /^arn:aws[a-zA-Z-]*:sqs:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,80}$/;

/** Most message receives SQS allows before a redrive (maxReceiveCount 1-1000). */
const MAX_RECEIVE_COUNT = 1000;

/**
 * Applies `raw` (the wire `Attributes` map, all values strings) onto `base`: each name must be one
 * SQS knows for a standard queue and each value within SQS's range, else `InvalidAttributeName` /
 * `InvalidAttributeValue`. FIFO attributes are refused: FIFO queues are not built (docs/api.md).
 * An empty `RedrivePolicy` removes the policy, as SQS does.
 */
export function applyQueueAttributes(base: QueueSettings, raw: Record<string, unknown>): QueueSettings {
  const out: QueueSettings = { ...base, passthrough: { ...base.passthrough } };
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'string') throw new SqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}: attribute values are strings.`);
    if (name in RANGES) {
      const key = name as keyof typeof RANGES;
      const [min, max] = RANGES[key];
      const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
      if (!Number.isInteger(n) || n < min || n > max) {
        throw new SqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}. Reason: must be an integer from ${min} to ${max}.`);
      }
      out[key] = n;
    } else if (name === 'RedrivePolicy') {
      if (value === '') delete out.RedrivePolicy;
      else out.RedrivePolicy = parseRedrivePolicy(value);
    } else if (PASSTHROUGH.has(name)) {
      out.passthrough[name] = value;
    } else if (name === 'FifoQueue' || name === 'ContentBasedDeduplication' || name === 'DeduplicationScope' || name === 'FifoThroughputLimit') {
      throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}. zonesim's queue service has standard queues only; FIFO queues are not built.`);
    } else {
      throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
    }
  }
  return out;
}

function parseRedrivePolicy(text: string): RedrivePolicy {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SqsError('InvalidAttributeValue', 'Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.');
  }
  const v = value as Record<string, unknown>;
  const arn = v?.['deadLetterTargetArn'];
  const count = typeof v?.['maxReceiveCount'] === 'string' ? Number(v['maxReceiveCount']) : v?.['maxReceiveCount'];
  if (typeof arn !== 'string' || !SQS_ARN.test(arn)) {
    throw new SqsError('InvalidAttributeValue', 'Value for parameter RedrivePolicy is invalid. Reason: Invalid value for deadLetterTargetArn.');
  }
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_RECEIVE_COUNT) {
    throw new SqsError('InvalidAttributeValue', `Value for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: ${String(count)}, valid values are from 1 to ${MAX_RECEIVE_COUNT} both inclusive.`);
  }
  return { deadLetterTargetArn: arn, maxReceiveCount: count };
}

/** True when two settings are the same (CreateQueue on an existing name is idempotent only then). */
export function sameSettings(a: QueueSettings, b: QueueSettings): boolean {
  return JSON.stringify(normalized(a)) === JSON.stringify(normalized(b));
}

function normalized(s: QueueSettings): unknown {
  return {
    ...s,
    passthrough: Object.fromEntries(Object.entries(s.passthrough).sort(([x], [y]) => (x < y ? -1 : 1))),
  };
}

/** The settable attributes as the wire returns them (all strings). */
export function settingsToWire(s: QueueSettings): Record<string, string> {
  return {
    DelaySeconds: String(s.DelaySeconds),
    MaximumMessageSize: String(s.MaximumMessageSize),
    MessageRetentionPeriod: String(s.MessageRetentionPeriod),
    ReceiveMessageWaitTimeSeconds: String(s.ReceiveMessageWaitTimeSeconds),
    VisibilityTimeout: String(s.VisibilityTimeout),
    SqsManagedSseEnabled: 'true',
    ...s.passthrough,
    ...(s.RedrivePolicy ? { RedrivePolicy: JSON.stringify(s.RedrivePolicy) } : {}),
  };
}

/** The name of the queue an SQS ARN names (region and account are checked by the caller). */
export function queueNameOfArn(arn: string): string | undefined {
  if (!SQS_ARN.test(arn)) return undefined;
  return arn.slice(arn.lastIndexOf(':') + 1);
}

/** True for a well-formed SQS queue ARN. */
export function isQueueArn(arn: string): boolean {
  return SQS_ARN.test(arn);
}
