import { SYNTHETIC_RUNTIME } from '@zonesim/common';
import { invalidParameter, requestTooLarge, validationError } from '../errors.js';
import { parseImageConfig, type ImageConfigOverrides } from '../images/image-config.js';
import { parseFunctionSettings, type FunctionSettings } from './function-settings.js';

/** Runtimes in Lambda's API enum (lambda-facts 2.1); {@link SUPPORTED_RUNTIMES} says which run here. */
export const LAMBDA_RUNTIMES: readonly string[] = [
  'nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'nodejs24.x', 'nodejs26.x',
  'python3.9', 'python3.10', 'python3.11', 'python3.12', 'python3.13', 'python3.14',
  'java8.al2', 'java11', 'java17', 'java21', 'java25', 'dotnet8', 'dotnet10',
  'ruby3.2', 'ruby3.3', 'ruby3.4', 'ruby4.0', 'provided.al2', 'provided.al2023',
];

/**
 * Runtimes a zone node can run today: the Node.js ones on the zone node's own Node.js, Python on the
 * machine's python3 and Java on its JDK (docs/runtimes.md), custom runtimes (`provided.*`: an executable
 * `bootstrap` under the Runtime API), and zonesim's synthetic functions (`zonesim.synthetic`, run on
 * timers; see docs/limits.md).
 */
export const SUPPORTED_RUNTIMES: readonly string[] = [
  'nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'nodejs24.x',
  'python3.9', 'python3.10', 'python3.11', 'python3.12', 'python3.13',
  'java17', 'java21',
  'provided.al2023', 'provided.al2', SYNTHETIC_RUNTIME,
];

/** Lambda's enum check, letting zonesim's own synthetic runtime through. */
function inRuntimeEnum(runtime: string): boolean {
  return runtime === SYNTHETIC_RUNTIME || LAMBDA_RUNTIMES.includes(runtime);
}

/** Variables Lambda sets itself; a function may not set them (lambda-facts 3.2). */
export const RESERVED_ENV_KEYS: ReadonlySet<string> = new Set([
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
]);

/** Lambda's 4 KB cap on all environment variables together. */
export const MAX_ENVIRONMENT_BYTES = 4 * 1024;

/** A CreateFunction request after validation. */
export interface CreateFunctionInput {
  functionName: string;
  role: string;
  runtime: string;
  handler: string;
  zipFile: Buffer;
  description: string;
  memorySize: number;
  timeout: number;
  environment: Record<string, string>;
  architecture: 'x86_64' | 'arm64';
  ephemeralStorageMb: number;
  tags: Record<string, string>;
  /** `Publish: true` publishes version 1 right away. */
  publish: boolean;
  /** `PackageType: Image`: `Code.ImageUri` and `ImageConfig` (then `zipFile` is empty until the image is built). */
  image?: { uri: string; overrides?: ImageConfigOverrides };
  /** LoggingConfig, TracingConfig, VpcConfig, KMSKeyArn (function-settings.ts). */
  settings: FunctionSettings;
  /** Layer version ARNs, in order (resolved by the registry). */
  layers?: string[];
}

const ROLE = /^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
const NAME = /^[a-zA-Z0-9-_]{1,64}$/;
const ENV_KEY = /^[a-zA-Z]([a-zA-Z0-9_])+$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function intIn(field: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw validationError(field, value, 'Member must be an integer');
  if (value < min) throw validationError(field, value, `Member must have value greater than or equal to ${min}`);
  if (value > max) throw validationError(field, value, `Member must have value less than or equal to ${max}`);
  return value;
}

/** Validates the environment variables as Lambda does (names, reserved keys, 4 KB total). */
export function validateEnvironment(raw: unknown): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw)) throw invalidParameter('Environment must be an object with Variables');
  const vars = raw['Variables'];
  if (vars === undefined || vars === null) return {};
  if (!isObject(vars)) throw invalidParameter('Environment.Variables must be a map of strings');
  const out: Record<string, string> = {};
  const reserved: string[] = [];
  for (const [key, value] of Object.entries(vars)) {
    if (!ENV_KEY.test(key)) throw validationError('environment.variables', key, 'Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+');
    if (typeof value !== 'string') throw invalidParameter(`Environment variable ${key} must be a string`);
    if (RESERVED_ENV_KEYS.has(key)) reserved.push(key);
    out[key] = value;
  }
  if (reserved.length > 0) {
    throw invalidParameter(
      `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`,
    );
  }
  const measured = JSON.stringify(out);
  if (Buffer.byteLength(measured) > MAX_ENVIRONMENT_BYTES) {
    throw invalidParameter(
      `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${measured.slice(0, 200)}...`,
    );
  }
  return out;
}

/** `Layers`: a list of layer version ARNs (checked against the published layers by the registry). */
function layerArns(raw: unknown): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw) || raw.some((a) => typeof a !== 'string' || a.length === 0 || a.length > 140)) throw invalidParameter('Layers must be a list of layer version ARNs.');
  return raw as string[];
}

/** Validates a CreateFunction body with Lambda's rules and error types. */
export function parseCreateFunctionInput(body: unknown, maxZipBytes: number): CreateFunctionInput {
  if (!isObject(body)) throw invalidParameter('The request body must be a JSON object.');
  // First: a field zonesim would drop is refused before anything else is read.
  const { clearVpc: _none, ...settings } = parseFunctionSettings(body, 'create');
  const name = body['FunctionName'];
  if (typeof name !== 'string') throw validationError('functionName', name ?? null, 'Member must not be null');
  if (!NAME.test(name)) throw validationError('functionName', name, 'Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+ and have length at most 64');
  const role = body['Role'];
  if (typeof role !== 'string') throw validationError('role', role ?? null, 'Member must not be null');
  if (!ROLE.test(role)) throw validationError('role', role, 'Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+');
  const packageType = body['PackageType'] ?? 'Zip';
  if (packageType !== 'Zip' && packageType !== 'Image') throw validationError('packageType', packageType, 'Member must satisfy enum value set: [Zip, Image]');
  const code = body['Code'];
  if (!isObject(code)) throw validationError('code', code ?? null, 'Member must not be null');
  if (code['S3Bucket'] !== undefined) throw invalidParameter('Code.S3Bucket is not supported by zonesim; use Code.ZipFile or, with PackageType Image, Code.ImageUri.');
  let runtime = '';
  let handler = '';
  let zipFile = Buffer.alloc(0);
  let image: CreateFunctionInput['image'];
  if (packageType === 'Image') {
    // Lambda: an image brings its own runtime; Runtime, Handler and Layers are refused for it.
    if (body['Runtime'] !== undefined || body['Handler'] !== undefined) throw invalidParameter('Runtime and Handler are not supported for functions with PackageType Image; use ImageConfig.');
    const uri = code['ImageUri'];
    if (typeof uri !== 'string' || uri.length === 0 || uri.length > 1024) throw invalidParameter('Code.ImageUri is required for PackageType Image.');
    if (code['ZipFile'] !== undefined) throw invalidParameter('Please do not provide ZipFile when PackageType is Image.');
    const overrides = parseImageConfig(body['ImageConfig']);
    image = overrides ? { uri, overrides } : { uri };
  } else {
    const r = body['Runtime'];
    if (typeof r !== 'string') throw invalidParameter('Runtime and Handler are mandatory parameters for functions created with deployment packages.');
    if (!inRuntimeEnum(r)) throw validationError('runtime', r, `Member must satisfy enum value set: [${LAMBDA_RUNTIMES.join(', ')}]`);
    if (!SUPPORTED_RUNTIMES.includes(r)) throw invalidParameter(`The runtime parameter of ${r} is not supported by zonesim yet. Supported: ${SUPPORTED_RUNTIMES.join(', ')}.`);
    runtime = r;
    const h = body['Handler'];
    if (typeof h !== 'string') throw invalidParameter('Runtime and Handler are mandatory parameters for functions created with deployment packages.');
    if (h.length > 128 || !/^[^\s]+$/.test(h)) throw validationError('handler', h, 'Member must satisfy regular expression pattern: [^\\s]+ and have length at most 128');
    handler = h;
    if (code['ImageUri'] !== undefined) throw invalidParameter('Please provide PackageType Image to deploy Code.ImageUri.');
    const zipB64 = code['ZipFile'];
    if (typeof zipB64 !== 'string' || zipB64.length === 0) throw invalidParameter('Code.ZipFile must be a base64-encoded .zip file.');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(zipB64) || zipB64.length % 4 !== 0) throw invalidParameter('Code.ZipFile is not valid base64.');
    zipFile = Buffer.from(zipB64, 'base64');
    if (zipFile.length > maxZipBytes) throw requestTooLarge(`Zipped size must be smaller than ${maxZipBytes} bytes`);
  }
  const description = body['Description'] ?? '';
  if (typeof description !== 'string' || description.length > 256) throw validationError('description', description, 'Member must have length less than or equal to 256');
  const archs = body['Architectures'] ?? ['x86_64'];
  if (!Array.isArray(archs) || archs.length !== 1 || (archs[0] !== 'x86_64' && archs[0] !== 'arm64')) {
    throw validationError('architectures', JSON.stringify(archs), 'Member must have length 1 and satisfy enum value set: [x86_64, arm64]');
  }
  const storage = body['EphemeralStorage'];
  const ephemeralStorageMb = intIn('ephemeralStorage.size', isObject(storage) ? storage['Size'] : undefined, 512, 512, 10240);
  const tags = body['Tags'] ?? {};
  if (!isObject(tags) || Object.values(tags).some((v) => typeof v !== 'string')) throw invalidParameter('Tags must be a map of strings.');
  return {
    functionName: name,
    role,
    runtime,
    handler,
    zipFile,
    description,
    memorySize: intIn('memorySize', body['MemorySize'], 128, 128, 10240),
    timeout: intIn('timeout', body['Timeout'], 3, 1, 900),
    environment: validateEnvironment(body['Environment']),
    architecture: archs[0],
    ephemeralStorageMb,
    tags: tags as Record<string, string>,
    publish: body['Publish'] === true,
    ...(image ? { image } : {}),
    settings,
    ...(layerArns(body['Layers']) ? { layers: layerArns(body['Layers'])! } : {}),
  };
}

/** The fields UpdateFunctionConfiguration may change, validated like CreateFunction's. */
export interface ConfigurationPatch {
  role?: string;
  runtime?: string;
  handler?: string;
  description?: string;
  memorySize?: number;
  timeout?: number;
  environment?: Record<string, string>;
  ephemeralStorageMb?: number;
  /** Image functions only: new `ImageConfig` overrides. */
  imageConfig?: ImageConfigOverrides;
  revisionId?: string;
  /** Optional settings given (the others stay); `clearVpc` takes the function out of its VPC. */
  settings?: Partial<FunctionSettings> & { clearVpc?: true };
  /** New layer version ARNs (an empty list removes every layer). */
  layers?: string[];
}

/** Validates an UpdateFunctionConfiguration body with Lambda's rules and error types. */
export function parseConfigurationPatch(body: unknown): ConfigurationPatch {
  if (!isObject(body)) throw invalidParameter('The request body must be a JSON object.');
  const settings = parseFunctionSettings(body, 'update');
  const patch: ConfigurationPatch = Object.keys(settings).length > 0 ? { settings } : {};
  const role = body['Role'];
  if (role !== undefined) {
    if (typeof role !== 'string' || !ROLE.test(role)) throw validationError('role', role, 'Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+');
    patch.role = role;
  }
  const runtime = body['Runtime'];
  if (runtime !== undefined) {
    if (typeof runtime !== 'string' || !inRuntimeEnum(runtime)) throw validationError('runtime', runtime, `Member must satisfy enum value set: [${LAMBDA_RUNTIMES.join(', ')}]`);
    if (!SUPPORTED_RUNTIMES.includes(runtime)) throw invalidParameter(`The runtime parameter of ${runtime} is not supported by zonesim yet. Supported: ${SUPPORTED_RUNTIMES.join(', ')}.`);
    patch.runtime = runtime;
  }
  const handler = body['Handler'];
  if (handler !== undefined) {
    if (typeof handler !== 'string' || handler.length > 128 || !/^[^\s]+$/.test(handler)) throw validationError('handler', handler, 'Member must satisfy regular expression pattern: [^\\s]+ and have length at most 128');
    patch.handler = handler;
  }
  const description = body['Description'];
  if (description !== undefined) {
    if (typeof description !== 'string' || description.length > 256) throw validationError('description', description, 'Member must have length less than or equal to 256');
    patch.description = description;
  }
  if (body['MemorySize'] !== undefined) patch.memorySize = intIn('memorySize', body['MemorySize'], 128, 128, 10240);
  if (body['Timeout'] !== undefined) patch.timeout = intIn('timeout', body['Timeout'], 3, 1, 900);
  if (body['Environment'] !== undefined) patch.environment = validateEnvironment(body['Environment']);
  const storage = body['EphemeralStorage'];
  if (storage !== undefined) patch.ephemeralStorageMb = intIn('ephemeralStorage.size', isObject(storage) ? storage['Size'] : undefined, 512, 512, 10240);
  const imageConfig = parseImageConfig(body['ImageConfig']);
  if (imageConfig) patch.imageConfig = imageConfig;
  if (typeof body['RevisionId'] === 'string') patch.revisionId = body['RevisionId'];
  const layers = layerArns(body['Layers']);
  if (layers) patch.layers = layers;
  return patch;
}
