import { IMAGE_RUNTIME, type FunctionSpec } from '@zonesim/protocol';
import { imageConfigResponse, imageRunConfig, type ImageRecord } from '../images/image-config.js';
import type { EventInvokeConfig } from './event-invoke-config.js';
import type { StoredPolicy } from './resource-policy.js';
import { settingsConfiguration, type FunctionSettings } from './function-settings.js';
import type { FunctionLayer } from '../layers/layer-catalog.js';

/** Lambda's function states (lambda-facts 2.2). */
export type FunctionState = 'Pending' | 'Active' | 'Failed';

/**
 * One version of a function as it runs and as GetFunctionConfiguration shows it: `$LATEST` (the
 * function record itself) or a published, immutable snapshot (`"1"`, `"2"`, ...).
 */
export interface FunctionVersionView {
  name: string;
  /** `$LATEST` or a published version number. */
  version: string;
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
  /** For a published version: the `$LATEST` revision it was published from. */
  publishedFrom?: string;
  /** `PackageType: Image`: the image (its root is the package at `codeSha256Hex`); absent for zips. */
  image?: ImageRecord;
  /** LoggingConfig, TracingConfig, VpcConfig, KMSKeyArn; absent in records written before them. */
  settings?: FunctionSettings;
  /** Inflated size of the package (Lambda's 250 MB counts it with the layers); absent in older records. */
  unzippedSize?: number;
  /** The layers, in order (later ones overwrite earlier ones in /opt). */
  layers?: FunctionLayer[];
}

/** The version-level fields of a function (no versions, aliases or async settings): what a version snapshots. */
export function snapshotOf(r: FunctionRecord): FunctionVersionView {
  const { versions: _v, aliases: _a, nextVersion: _n, eventInvokeConfig: _e, reservedConcurrency: _r, provisionedConcurrency: _p, policies: _pol, ...view } = r;
  return { ...view, environment: { ...r.environment }, tags: { ...r.tags } };
}

/** An alias: a name for a version, optionally splitting traffic with one more version. */
export interface AliasRecord {
  name: string;
  functionVersion: string;
  description: string;
  /** `{ "2": 0.1 }`: that share of invocations goes to version 2, the rest to `functionVersion`. */
  additionalVersionWeights: Record<string, number>;
  revisionId: string;
}

/** A function as the registry keeps it: `$LATEST` plus its published versions and aliases. */
export interface FunctionRecord extends FunctionVersionView {
  version: '$LATEST';
  /** Asynchronous invocation settings, if any were put. */
  eventInvokeConfig?: EventInvokeConfig;
  /** Published versions, oldest first. */
  versions?: FunctionVersionView[];
  aliases?: AliasRecord[];
  /** The number the next PublishVersion gets (versions are never reused, even after a delete). */
  nextVersion?: number;
  /** PutFunctionConcurrency's ReservedConcurrentExecutions, if set. */
  reservedConcurrency?: number;
  /** PutProvisionedConcurrencyConfig per qualifier (a version number or an alias name). */
  provisionedConcurrency?: Record<string, ProvisionedConcurrencyRecord>;
  /** Resource-based policies per qualifier (`$LATEST` for the unqualified function, a version, an alias). */
  policies?: Record<string, StoredPolicy>;
}

/** One provisioned-concurrency configuration as stored. */
export interface ProvisionedConcurrencyRecord {
  requested: number;
  /** Epoch ms of the last Put. */
  lastModified: number;
}

/** Lambda's `LastModified` format: `2019-11-14T18:16:05.568+0000`. */
export function lambdaTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('Z', '+0000');
}

/** The `FunctionConfiguration` shape Lambda returns (lambda-facts 2.2). */
export function toFunctionConfiguration(r: FunctionVersionView): Record<string, unknown> {
  return {
    FunctionName: r.name,
    // A published version's ARN carries its number; $LATEST's is unqualified.
    FunctionArn: r.version === '$LATEST' ? r.arn : `${r.arn}:${r.version}`,
    // Lambda shows no Runtime or Handler for image functions.
    ...(r.image ? {} : { Runtime: r.runtime, Handler: r.handler }),
    Role: r.role,
    CodeSize: r.codeSize,
    Description: r.description,
    Timeout: r.timeout,
    MemorySize: r.memorySize,
    LastModified: lambdaTimestamp(r.lastModified),
    CodeSha256: r.codeSha256,
    Version: r.version,
    Environment: { Variables: r.environment },
    RevisionId: r.revisionId,
    State: r.state,
    ...(r.state === 'Pending' ? { StateReason: 'The function is being created.', StateReasonCode: 'Creating' } : {}),
    LastUpdateStatus: r.lastUpdateStatus,
    PackageType: r.image ? 'Image' : 'Zip',
    ...(r.image && imageConfigResponse(r.image) ? { ImageConfigResponse: imageConfigResponse(r.image) } : {}),
    Architectures: [r.architecture],
    EphemeralStorage: { Size: r.ephemeralStorageMb },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    ...settingsConfiguration(r.name, r.settings ?? {}),
    ...(r.layers && r.layers.length > 0 ? { Layers: r.layers.map((l) => ({ Arn: l.arn, CodeSize: l.codeSize })) } : {}),
  };
}

/**
 * What a zone node needs to run the function. The spec key changes with any change of code or
 * configuration, so warm environments of an older configuration are never reused for a newer one.
 */
export function toFunctionSpec(r: FunctionVersionView, region: string): FunctionSpec {
  return {
    specKey: `${r.name}:${r.version}:${r.revisionId}`,
    functionName: r.name,
    version: r.version,
    functionArn: r.arn,
    codeSha256Hex: r.codeSha256Hex,
    handler: r.image ? (imageRunConfig(r.image).command[0] ?? 'image').slice(0, 128) || 'image' : r.handler,
    runtime: r.image ? IMAGE_RUNTIME : r.runtime,
    memoryMb: r.memorySize,
    timeoutSec: r.timeout,
    architecture: r.architecture,
    environment: r.environment,
    region,
    // The size of the environment's private /tmp where zone nodes sandbox environments (issue 15).
    ephemeralStorageMb: r.ephemeralStorageMb,
    ...(r.image ? { image: imageRunConfig(r.image) } : {}),
    ...(r.settings?.logging?.logFormat === 'JSON'
      ? { jsonLogs: { applicationLogLevel: r.settings.logging.applicationLogLevel ?? 'INFO', systemLogLevel: r.settings.logging.systemLogLevel ?? 'INFO' } }
      : {}),
    ...(r.settings?.tracingMode === 'Active' ? { tracingActive: true } : {}),
    ...(r.layers && r.layers.length > 0 ? { layers: r.layers.map((l) => ({ arn: l.arn, sha256Hex: l.sha256Hex })) } : {}),
  };
}
