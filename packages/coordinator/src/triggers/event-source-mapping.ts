import { invalidParameter, validationError } from '../errors.js';
import { functionArn } from '../registry/function-name.js';

/** Lambda's event source mapping states (lambda-facts 2.6). */
export type EventSourceMappingState = 'Creating' | 'Enabling' | 'Enabled' | 'Disabling' | 'Disabled' | 'Updating' | 'Deleting';

/** One event source mapping from an SQS queue to a function, as zonesim keeps it. */
export interface EventSourceMappingRecord {
  uuid: string;
  eventSourceArn: string;
  functionName: string;
  /** Version or alias the mapping invokes; absent = unqualified (`$LATEST`). */
  qualifier?: string;
  /** @default 10 (1-10000) */
  batchSize: number;
  /** @default 0 (0-300 s) */
  maximumBatchingWindowInSeconds: number;
  /** `['ReportBatchItemFailures']` or `[]`. */
  functionResponseTypes: string[];
  /** `ScalingConfig.MaximumConcurrency` (2-1000); absent = Lambda's 1000. */
  maximumConcurrency?: number;
  /** The user's wish; `state` follows it. */
  enabled: boolean;
  state: EventSourceMappingState;
  stateTransitionReason: string;
  /** Epoch ms. */
  lastModified: number;
}

/** Lambda's defaults for an SQS mapping (lambda-facts Appendix A). */
export const SQS_MAPPING_DEFAULTS = { batchSize: 10, maximumBatchingWindowInSeconds: 0 } as const;

/** Fields Lambda takes for stream and broker sources only. */
const NOT_FOR_SQS = [
  'StartingPosition',
  'StartingPositionTimestamp',
  'ParallelizationFactor',
  'MaximumRecordAgeInSeconds',
  'MaximumRetryAttempts',
  'BisectBatchOnFunctionError',
  'TumblingWindowInSeconds',
  'DestinationConfig',
  'Topics',
  'Queues',
  'SourceAccessConfigurations',
  'SelfManagedEventSource',
  'SelfManagedKafkaEventSourceConfig',
  'AmazonManagedKafkaEventSourceConfig',
  'DocumentDBEventSourceConfig',
];
/** Fields of SQS mappings zonesim does not build: refused rather than silently ignored. */
const NOT_BUILT = ['FilterCriteria', 'ProvisionedPollerConfig', 'KMSKeyArn'];

/** The settable fields of Create and Update, checked with Lambda's ranges. */
export interface MappingSettings {
  batchSize?: number;
  maximumBatchingWindowInSeconds?: number;
  functionResponseTypes?: string[];
  /** null removes the cap. */
  maximumConcurrency?: number | null;
  enabled?: boolean;
}

/** Reads the settable fields of a Create/UpdateEventSourceMapping body. */
export function parseMappingSettings(body: Record<string, unknown>): MappingSettings {
  for (const k of NOT_FOR_SQS) {
    if (body[k] !== undefined && body[k] !== null) throw invalidParameter(`Unsupported ${k} parameter for given event source mapping type.`);
  }
  for (const k of NOT_BUILT) {
    if (body[k] !== undefined && body[k] !== null) throw invalidParameter(`${k} is not supported by zonesim's event source mappings.`);
  }
  const out: MappingSettings = {};
  const batch = body['BatchSize'];
  if (batch !== undefined && batch !== null) {
    if (typeof batch !== 'number' || !Number.isInteger(batch) || batch < 1 || batch > 10_000) {
      throw validationError('batchSize', batch, batch !== null && typeof batch === 'number' && batch > 10_000 ? 'Member must have value less than or equal to 10000' : 'Member must have value greater than or equal to 1');
    }
    out.batchSize = batch;
  }
  const window = body['MaximumBatchingWindowInSeconds'];
  if (window !== undefined && window !== null) {
    if (typeof window !== 'number' || !Number.isInteger(window) || window < 0 || window > 300) {
      throw validationError('maximumBatchingWindowInSeconds', window, 'Member must have value less than or equal to 300');
    }
    out.maximumBatchingWindowInSeconds = window;
  }
  const types = body['FunctionResponseTypes'];
  if (types !== undefined && types !== null) {
    if (!Array.isArray(types) || types.some((t) => t !== 'ReportBatchItemFailures')) {
      throw validationError('functionResponseTypes', JSON.stringify(types), 'Member must satisfy enum value set: [ReportBatchItemFailures]');
    }
    out.functionResponseTypes = types.length > 0 ? ['ReportBatchItemFailures'] : [];
  }
  const scaling = body['ScalingConfig'];
  if (scaling !== undefined && scaling !== null) {
    if (typeof scaling !== 'object' || Array.isArray(scaling)) throw invalidParameter('ScalingConfig must be an object.');
    const max = (scaling as Record<string, unknown>)['MaximumConcurrency'];
    if (max === undefined || max === null) out.maximumConcurrency = null;
    else if (typeof max !== 'number' || !Number.isInteger(max) || max < 2 || max > 1000) {
      throw validationError('scalingConfig.maximumConcurrency', max, 'Member must have value between 2 and 1000');
    } else out.maximumConcurrency = max;
  }
  const enabled = body['Enabled'];
  if (enabled !== undefined && enabled !== null) {
    if (typeof enabled !== 'boolean') throw invalidParameter('Enabled must be a boolean.');
    out.enabled = enabled;
  }
  return out;
}

/** Lambda's rule: more than 10 messages per batch need a batching window of at least 1 s. */
export function checkBatching(batchSize: number, windowSec: number): void {
  if (batchSize > 10 && windowSec < 1) {
    throw invalidParameter('Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10');
  }
}

/** The ARN of a mapping. */
export function mappingArn(account: { region: string; accountId: string }, uuid: string): string {
  return `arn:aws:lambda:${account.region}:${account.accountId}:event-source-mapping:${uuid}`;
}

/** Lambda's EventSourceMappingConfiguration for one mapping. */
export function toMappingResponse(r: EventSourceMappingRecord, account: { region: string; accountId: string }): Record<string, unknown> {
  return {
    UUID: r.uuid,
    BatchSize: r.batchSize,
    MaximumBatchingWindowInSeconds: r.maximumBatchingWindowInSeconds,
    EventSourceArn: r.eventSourceArn,
    FunctionArn: functionArn(account, r.functionName, r.qualifier),
    // A timestamp: the SDK reads epoch seconds.
    LastModified: r.lastModified / 1000,
    State: r.state,
    StateTransitionReason: r.stateTransitionReason,
    FunctionResponseTypes: r.functionResponseTypes,
    ...(r.maximumConcurrency !== undefined ? { ScalingConfig: { MaximumConcurrency: r.maximumConcurrency } } : {}),
    EventSourceMappingArn: mappingArn(account, r.uuid),
  };
}
