import { invalidParameter, validationError } from '../errors.js';

/**
 * The optional settings of CreateFunction and UpdateFunctionConfiguration beyond code, memory and
 * time (issue 17, "no silent drops"). Each field Lambda's API takes is either honoured (stored,
 * returned by GetFunctionConfiguration, and acted on where zonesim can), or refused with
 * `InvalidParameterValueException` naming it; a field the API does not have is refused too, since
 * accepting it would drop it. docs/api.md lists which is which.
 */

export type LogFormat = 'Text' | 'JSON';
export const APPLICATION_LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
export const SYSTEM_LOG_LEVELS = ['DEBUG', 'INFO', 'WARN'] as const;
export type ApplicationLogLevel = (typeof APPLICATION_LOG_LEVELS)[number];
export type SystemLogLevel = (typeof SYSTEM_LOG_LEVELS)[number];

/** `LoggingConfig` as stored. */
export interface LoggingSettings {
  logFormat: LogFormat;
  /** JSON only (Lambda refuses levels with Text). */
  applicationLogLevel?: ApplicationLogLevel;
  systemLogLevel?: SystemLogLevel;
  /** A custom log group, if one was named (logs still go to zonesim's log store). */
  logGroup?: string;
}

/** `VpcConfig` as stored: kept and returned; environments' networking is the host's loopback. */
export interface VpcSettings {
  subnetIds: string[];
  securityGroupIds: string[];
  ipv6AllowedForDualStack: boolean;
}

/** The honoured optional settings of a function version. */
export interface FunctionSettings {
  logging?: LoggingSettings;
  /** `TracingConfig.Mode`; `Active` makes the runtime's trace header sampled. @default PassThrough */
  tracingMode?: 'Active' | 'PassThrough';
  vpc?: VpcSettings;
  kmsKeyArn?: string;
}

/** Fields CreateFunction takes that zonesim reads elsewhere (create-function-input.ts). */
const CREATE_FIELDS = new Set([
  'FunctionName', 'Role', 'Runtime', 'Handler', 'Code', 'Description', 'Timeout', 'MemorySize', 'Publish', 'PackageType',
  'Environment', 'Tags', 'Architectures', 'EphemeralStorage', 'ImageConfig', 'Layers',
]);
/** Fields UpdateFunctionConfiguration takes that zonesim reads elsewhere. */
const UPDATE_FIELDS = new Set(['Role', 'Runtime', 'Handler', 'Description', 'Timeout', 'MemorySize', 'Environment', 'EphemeralStorage', 'ImageConfig', 'RevisionId', 'Layers']);
/** Read here. */
const SETTINGS_FIELDS = new Set(['LoggingConfig', 'TracingConfig', 'VpcConfig', 'KMSKeyArn', 'SnapStart']);

/** Fields of Lambda's API that zonesim cannot honour: refused, with why. */
const REFUSED: Record<string, string> = {
  DeadLetterConfig: 'DeadLetterConfig is not supported by zonesim; use an OnFailure destination (PutFunctionEventInvokeConfig with an SQS queue ARN of the built-in queue service), which receives every event that fails all its attempts.',
  FileSystemConfigs: 'FileSystemConfigs (EFS) is not supported by zonesim: there is no file system service here.',
  CodeSigningConfigArn: 'CodeSigningConfigArn is not supported by zonesim: there is no code signing service here.',
  CapacityProviderConfig: 'CapacityProviderConfig (Lambda Managed Instances) is not supported by zonesim.',
  DurableConfig: 'DurableConfig (durable functions) is not supported by zonesim.',
  TenancyConfig: 'TenancyConfig is not supported by zonesim.',
  PublishTo: 'PublishTo is not supported by zonesim.',
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(field: string, v: unknown, max: number): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.length === 0 || x.length > 1024)) throw invalidParameter(`${field} must be a list of strings.`);
  if (v.length > max) throw validationError(field.charAt(0).toLowerCase() + field.slice(1), JSON.stringify(v), `Member must have length less than or equal to ${max}`);
  return v as string[];
}

function parseLogging(raw: unknown): LoggingSettings {
  if (!isObject(raw)) throw invalidParameter('LoggingConfig must be an object.');
  const format = raw['LogFormat'] ?? 'Text';
  if (format !== 'Text' && format !== 'JSON') throw validationError('loggingConfig.logFormat', format, 'Member must satisfy enum value set: [Text, JSON]');
  const app = raw['ApplicationLogLevel'];
  const sys = raw['SystemLogLevel'];
  if (app !== undefined && !(APPLICATION_LOG_LEVELS as readonly unknown[]).includes(app)) {
    throw validationError('loggingConfig.applicationLogLevel', app, `Member must satisfy enum value set: [${APPLICATION_LOG_LEVELS.join(', ')}]`);
  }
  if (sys !== undefined && !(SYSTEM_LOG_LEVELS as readonly unknown[]).includes(sys)) {
    throw validationError('loggingConfig.systemLogLevel', sys, `Member must satisfy enum value set: [${SYSTEM_LOG_LEVELS.join(', ')}]`);
  }
  if (format === 'Text' && (app !== undefined || sys !== undefined)) {
    throw invalidParameter('ApplicationLogLevel and SystemLogLevel can only be set when LogFormat is JSON.');
  }
  const logGroup = raw['LogGroup'];
  if (logGroup !== undefined && (typeof logGroup !== 'string' || !/^[\.\-_/#A-Za-z0-9]{1,512}$/.test(logGroup))) {
    throw validationError('loggingConfig.logGroup', logGroup, 'Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+');
  }
  const out: LoggingSettings = { logFormat: format };
  if (format === 'JSON') {
    out.applicationLogLevel = (app as ApplicationLogLevel | undefined) ?? 'INFO';
    out.systemLogLevel = (sys as SystemLogLevel | undefined) ?? 'INFO';
  }
  if (typeof logGroup === 'string') out.logGroup = logGroup;
  return out;
}

function parseVpc(raw: unknown): VpcSettings | undefined {
  if (!isObject(raw)) throw invalidParameter('VpcConfig must be an object.');
  const subnetIds = stringList('SubnetIds', raw['SubnetIds'], 16);
  const securityGroupIds = stringList('SecurityGroupIds', raw['SecurityGroupIds'], 5);
  const ipv6 = raw['Ipv6AllowedForDualStack'] ?? false;
  if (typeof ipv6 !== 'boolean') throw invalidParameter('VpcConfig.Ipv6AllowedForDualStack must be a boolean.');
  // Lambda: an empty configuration takes the function out of its VPC.
  if (subnetIds.length === 0 && securityGroupIds.length === 0) return undefined;
  if (subnetIds.length === 0 || securityGroupIds.length === 0) throw invalidParameter('VpcConfig needs both SubnetIds and SecurityGroupIds (or neither, to leave the VPC).');
  return { subnetIds, securityGroupIds, ipv6AllowedForDualStack: ipv6 };
}

/**
 * Reads the optional settings of a CreateFunction (`operation: 'create'`) or
 * UpdateFunctionConfiguration body: what is given (an update leaves the rest unchanged), after
 * refusing what zonesim cannot honour or does not know.
 */
export function parseFunctionSettings(body: Record<string, unknown>, operation: 'create' | 'update'): Partial<FunctionSettings> & { clearVpc?: true } {
  const known = operation === 'create' ? CREATE_FIELDS : UPDATE_FIELDS;
  for (const [name, value] of Object.entries(body)) {
    if (value === undefined || value === null || known.has(name) || SETTINGS_FIELDS.has(name)) continue;
    const refusal = REFUSED[name];
    // A dead-letter config without a target (what many templates send) asks for nothing.
    if (name === 'DeadLetterConfig' && isObject(value) && (value['TargetArn'] === undefined || value['TargetArn'] === '')) continue;
    if (refusal) throw invalidParameter(refusal);
    throw invalidParameter(`${operation === 'create' ? 'CreateFunction' : 'UpdateFunctionConfiguration'} has no field ${name.slice(0, 64)} that zonesim knows; it would be ignored, so it is refused.`);
  }
  const out: Partial<FunctionSettings> & { clearVpc?: true } = {};
  if (body['LoggingConfig'] !== undefined && body['LoggingConfig'] !== null) out.logging = parseLogging(body['LoggingConfig']);
  const tracing = body['TracingConfig'];
  if (tracing !== undefined && tracing !== null) {
    const mode = isObject(tracing) ? tracing['Mode'] : undefined;
    if (mode !== 'Active' && mode !== 'PassThrough') throw validationError('tracingConfig.mode', mode ?? null, 'Member must satisfy enum value set: [Active, PassThrough]');
    out.tracingMode = mode;
  }
  const vpc = body['VpcConfig'];
  if (vpc !== undefined && vpc !== null) {
    const parsed = parseVpc(vpc);
    if (parsed) out.vpc = parsed;
    else out.clearVpc = true;
  }
  const kms = body['KMSKeyArn'];
  if (kms !== undefined && kms !== null) {
    if (typeof kms !== 'string' || !/^(arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)?$/.test(kms)) throw validationError('kMSKeyArn', kms, 'Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()');
    if (kms !== '') out.kmsKeyArn = kms;
  }
  const snap = body['SnapStart'];
  if (snap !== undefined && snap !== null) {
    const applyOn = isObject(snap) ? snap['ApplyOn'] : undefined;
    if (applyOn !== 'None' && applyOn !== 'PublishedVersions') throw validationError('snapStart.applyOn', applyOn ?? null, 'Member must satisfy enum value set: [PublishedVersions, None]');
    if (applyOn === 'PublishedVersions') throw invalidParameter('SnapStart is not supported by zonesim: every environment runs its INIT.');
  }
  return out;
}

/** The settings' part of Lambda's `FunctionConfiguration`. */
export function settingsConfiguration(functionName: string, s: FunctionSettings): Record<string, unknown> {
  const logging = s.logging ?? { logFormat: 'Text' };
  return {
    TracingConfig: { Mode: s.tracingMode ?? 'PassThrough' },
    LoggingConfig: {
      LogFormat: logging.logFormat,
      ...(logging.applicationLogLevel ? { ApplicationLogLevel: logging.applicationLogLevel } : {}),
      ...(logging.systemLogLevel ? { SystemLogLevel: logging.systemLogLevel } : {}),
      LogGroup: logging.logGroup ?? `/aws/lambda/${functionName}`,
    },
    ...(s.vpc
      ? { VpcConfig: { SubnetIds: s.vpc.subnetIds, SecurityGroupIds: s.vpc.securityGroupIds, Ipv6AllowedForDualStack: s.vpc.ipv6AllowedForDualStack, VpcId: '' } }
      : {}),
    ...(s.kmsKeyArn ? { KMSKeyArn: s.kmsKeyArn } : {}),
  };
}
