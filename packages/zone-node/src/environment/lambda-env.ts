import type { EnvironmentConfig } from './types.js';

/**
 * Environment variables Lambda reserves (lambda-facts 3.2) that zonesim sets. A function's own
 * variables can never override them; `platformEnv` cannot either.
 */
export const RESERVED_ENV_NAMES = [
  '_HANDLER',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
  'TZ',
  'AWS_LAMBDA_RUNTIME_API',
] as const;

/**
 * `AWS_LAMBDA_RUNTIME_API` of Node.js environments: Lambda's own value. Libraries read it to know
 * they run on Lambda; zonesim's Node runtime talks to its zone node over IPC and serves no Runtime
 * API there (custom runtimes, images, Python and Java get a real one: runtimeApiEnv).
 */
export const NODE_RUNTIME_API_ADDRESS = '127.0.0.1:9001';

/** The default PATH of a Node.js Lambda environment (without /opt/bin, added for every environment), used when the zone node has none. */
export const LAMBDA_DEFAULT_PATH = '/var/lang/bin:/usr/local/bin:/usr/bin/:/bin';

/**
 * Builds an environment's variables from scratch: nothing of the zone node's own environment
 * leaks in (no NODE_OPTIONS, tokens or loader flags) except PATH, so that `child_process` in user
 * code still finds binaries. Order of precedence, lowest first: Lambda's unreserved defaults, the
 * function's variables, the platform's, the reserved ones.
 * `NODE_PATH` (Node runtimes) is Lambda's, which a function may replace with its own.
 */
export function buildLambdaEnvironment(
  config: EnvironmentConfig,
  runtimeDir: string,
  parentPath: string | undefined = process.env['PATH'],
): Record<string, string> {
  const { spec } = config;
  const reserved: Record<(typeof RESERVED_ENV_NAMES)[number], string> = {
    _HANDLER: spec.handler,
    AWS_REGION: spec.region,
    AWS_DEFAULT_REGION: spec.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${spec.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: spec.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: spec.version,
    AWS_LAMBDA_INITIALIZATION_TYPE: config.initializationType,
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: config.logStreamName,
    LAMBDA_TASK_ROOT: config.codeDir,
    LAMBDA_RUNTIME_DIR: runtimeDir,
    // Lambda's observed value; the leading colon names a tz database entry.
    TZ: ':UTC',
    AWS_LAMBDA_RUNTIME_API: NODE_RUNTIME_API_ADDRESS,
  };
  // Layers are at /opt (a host directory outside the sandbox): their binaries on PATH, and for Node
  // Lambda's NODE_PATH, the layers' node_modules before the runtime's SDK.
  const opt = config.optDir ?? '/opt';
  const nodeMajor = /^nodejs(\d+)\.x$/.exec(spec.runtime)?.[1];
  const path = parentPath && parentPath.length > 0 ? parentPath : LAMBDA_DEFAULT_PATH;
  return {
    LANG: 'en_US.UTF-8',
    PATH: path.split(':').includes(`${opt}/bin`) ? path : `${path}:${opt}/bin`,
    ...(nodeMajor === undefined ? {} : { NODE_PATH: [`${opt}/nodejs/node${nodeMajor}/node_modules`, `${opt}/nodejs/node_modules`, `${runtimeDir}/node_modules`].join(':') }),
    ...spec.environment,
    ...config.platformEnv,
    ...reserved,
    // LoggingConfig JSON: what Lambda tells the runtimes (their own records as JSON, filtered by level).
    ...(spec.jsonLogs ? { AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: spec.jsonLogs.applicationLogLevel } : {}),
  };
}
