import type { FunctionSpec } from '@zonesim/protocol';
import type { EventInvokeConfig } from './event-invoke-config.js';

/** Lambda's function states (lambda-facts 2.2). */
export type FunctionState = 'Pending' | 'Active' | 'Failed';

/** One function's `$LATEST` as the registry keeps it. */
export interface FunctionRecord {
  name: string;
  arn: string;
  runtime: string;
  role: string;
  handler: string;
  description: string;
  memorySize: number;
  timeout: number;
  environment: Record<string, string>;
  architecture: 'x86_64' | 'arm64';
  ephemeralStorageMb: number;
  tags: Record<string, string>;
  codeSha256Hex: string;
  /** Lambda's `CodeSha256`: base64 of the package's SHA-256. */
  codeSha256: string;
  codeSize: number;
  /** Epoch ms of the last change. */
  lastModified: number;
  revisionId: string;
  state: FunctionState;
  lastUpdateStatus: 'Successful' | 'InProgress' | 'Failed';
  /** Asynchronous invocation settings, if any were put. */
  eventInvokeConfig?: EventInvokeConfig;
}

/** Lambda's `LastModified` format: `2019-11-14T18:16:05.568+0000`. */
export function lambdaTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('Z', '+0000');
}

/** The `FunctionConfiguration` shape Lambda returns (lambda-facts 2.2). */
export function toFunctionConfiguration(r: FunctionRecord): Record<string, unknown> {
  return {
    FunctionName: r.name,
    FunctionArn: r.arn,
    Runtime: r.runtime,
    Role: r.role,
    Handler: r.handler,
    CodeSize: r.codeSize,
    Description: r.description,
    Timeout: r.timeout,
    MemorySize: r.memorySize,
    LastModified: lambdaTimestamp(r.lastModified),
    CodeSha256: r.codeSha256,
    Version: '$LATEST',
    Environment: { Variables: r.environment },
    TracingConfig: { Mode: 'PassThrough' },
    RevisionId: r.revisionId,
    State: r.state,
    ...(r.state === 'Pending' ? { StateReason: 'The function is being created.', StateReasonCode: 'Creating' } : {}),
    LastUpdateStatus: r.lastUpdateStatus,
    PackageType: 'Zip',
    Architectures: [r.architecture],
    EphemeralStorage: { Size: r.ephemeralStorageMb },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${r.name}` },
  };
}

/**
 * What a zone node needs to run the function. The spec key changes with any change of code or
 * configuration, so warm environments of an older configuration are never reused for a newer one.
 */
export function toFunctionSpec(r: FunctionRecord, region: string): FunctionSpec {
  return {
    specKey: `${r.name}:$LATEST:${r.revisionId}`,
    functionName: r.name,
    version: '$LATEST',
    functionArn: r.arn,
    codeSha256Hex: r.codeSha256Hex,
    handler: r.handler,
    runtime: r.runtime,
    memoryMb: r.memorySize,
    timeoutSec: r.timeout,
    architecture: r.architecture,
    environment: r.environment,
    region,
  };
}
