import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { IMAGE_RUNTIME, type FunctionError, type FunctionSpec } from '@zonesim/protocol';
import { buildLambdaEnvironment } from './lambda-env.js';
import type { EnvironmentConfig } from './types.js';

/**
 * How a custom runtime is started: which executable, with which arguments, in which directory and
 * with which environment. Two cases (docs/runtimes.md):
 *
 * - `provided.al2023` / `provided.al2`: the package's executable `bootstrap`, in the code directory.
 * - `PackageType: Image`: the image's `Entrypoint` + `Cmd` (after `ImageConfig`), in its
 *   `WorkingDir` under the unpacked root, with the image's `Env`. There is no container engine:
 *   an absolute program path is looked up inside the root first, then on the host.
 *
 * Problems that are the function's fault come back as Lambda's INIT errors
 * (`Runtime.InvalidEntrypoint`, `Runtime.InvalidWorkingDir`) rather than thrown.
 */

/** Runtimes whose environment is a custom runtime under the Runtime API. */
export const CUSTOM_RUNTIMES: readonly string[] = ['provided.al2023', 'provided.al2'];

/** True when `spec` runs as a custom runtime: a `provided*` runtime or a container image. */
export function isCustomRuntime(spec: FunctionSpec): boolean {
  return spec.image !== undefined || spec.runtime === IMAGE_RUNTIME || CUSTOM_RUNTIMES.includes(spec.runtime);
}

/** A resolved launch. Paths are the host's; the sandbox maps them to what the runtime sees. */
export interface CustomRuntimeLaunch {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** zonesim's runtime directory, bound at `/var/runtime` (managed runtimes: their runtime client). */
  runtimeDir?: string;
  /** Host directories the runtime needs outside the system ones (an interpreter's installation), bound read-only. */
  hostRoots?: string[];
  /** What ran, for INIT_START and REPORT (managed runtimes: `python:3.11.7`). */
  runtimeVersion?: string;
}

/** True when `path` is a regular file this process may execute. */
export function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `path` is `root` or below it, after resolving links. */
function insideRoot(root: string, path: string): boolean {
  try {
    const real = realpathSync(path);
    const rel = relative(realpathSync(root), real);
    return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
  } catch {
    return false;
  }
}

/**
 * Resolves the launch of `config`, with `runtimeApi` as `AWS_LAMBDA_RUNTIME_API`.
 * @returns the launch, or the INIT error Lambda would report.
 */
export function resolveCustomRuntimeLaunch(config: EnvironmentConfig, runtimeApi: string): CustomRuntimeLaunch | { error: FunctionError } {
  const { spec, codeDir } = config;
  const image = spec.image;
  if (!image) {
    const bootstrap = join(codeDir, 'bootstrap');
    if (!isExecutableFile(bootstrap)) {
      return {
        error: {
          errorType: 'Runtime.InvalidEntrypoint',
          errorMessage: `Couldn't find valid bootstrap(s): [${bootstrap}]: the package needs an executable file named bootstrap at its root`,
        },
      };
    }
    return { command: bootstrap, args: [], cwd: codeDir, env: runtimeApiEnv(config, runtimeApi, codeDir, spec.handler) };
  }

  // The working directory is a path inside the image: never outside the root, whatever it says.
  const wd = normalize(`/${image.workingDirectory}`);
  const cwd = resolve(codeDir, `.${wd}`);
  if (!(cwd === codeDir || cwd.startsWith(codeDir + sep)) || !insideRoot(codeDir, cwd) || !statSync(cwd, { throwIfNoEntry: false })?.isDirectory()) {
    return { error: { errorType: 'Runtime.InvalidWorkingDir', errorMessage: `The working directory ${image.workingDirectory} does not exist in the image` } };
  }
  const argv = [...image.entrypoint, ...image.command];
  const program = argv[0];
  if (program === undefined || program === '') {
    return { error: { errorType: 'Runtime.InvalidEntrypoint', errorMessage: 'The image has neither an entrypoint nor a command' } };
  }
  let command = program;
  if (program.startsWith('/')) {
    // `/lambda-entrypoint.sh` is the image's own file when the root has it; `/bin/sh` comes from the host.
    const inImage = resolve(codeDir, `.${normalize(program)}`);
    if (isExecutableFile(inImage) && insideRoot(codeDir, inImage)) command = inImage;
  } else if (program.includes('/')) {
    command = resolve(cwd, program);
    if (!command.startsWith(codeDir + sep) || !insideRoot(codeDir, command)) {
      return { error: { errorType: 'Runtime.InvalidEntrypoint', errorMessage: `The entrypoint ${program} leaves the image root` } };
    }
  }
  const handler = image.command[0] ?? '';
  return { command, args: argv.slice(1), cwd, env: runtimeApiEnv(config, runtimeApi, cwd, handler, { imageEnv: image.environment }) };
}

/**
 * Lambda's environment for a runtime under the Runtime API (lambda-facts 3.2): the reserved variables
 * of lambda-env.ts with `AWS_LAMBDA_RUNTIME_API`. `AWS_EXECUTION_ENV` is absent for `provided*` and
 * images and present for managed runtimes (`executionEnv: true`: `AWS_Lambda_python3.12`); an image's
 * `Env` sits below the function's own variables, and `extra` (a managed runtime's own, such as
 * `PYTHONPATH`) below the reserved ones.
 */
export function runtimeApiEnv(
  config: EnvironmentConfig,
  runtimeApi: string,
  taskRoot: string,
  handler: string,
  options: { imageEnv?: Record<string, string>; executionEnv?: boolean; extra?: Record<string, string>; runtimeDir?: string } = {},
): Record<string, string> {
  const base = buildLambdaEnvironment({ ...config, codeDir: taskRoot }, options.runtimeDir ?? taskRoot);
  const { AWS_EXECUTION_ENV: executionEnv, ...env } = base;
  const imageEnv = options.imageEnv ?? {};
  const fromImage = Object.fromEntries(Object.entries(imageEnv).filter(([k]) => !(k in config.spec.environment) && !RESERVED_FOR_CUSTOM.has(k)));
  return {
    ...env,
    ...fromImage,
    ...config.spec.environment,
    ...config.platformEnv,
    ...options.extra,
    ...pickReserved(env),
    ...(options.executionEnv && executionEnv !== undefined ? { AWS_EXECUTION_ENV: executionEnv } : {}),
    _HANDLER: handler,
    AWS_LAMBDA_RUNTIME_API: runtimeApi,
  };
}

const RESERVED_FOR_CUSTOM = new Set([
  '_HANDLER', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME',
  'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR', 'TZ', 'AWS_LAMBDA_RUNTIME_API',
]);

function pickReserved(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([k]) => RESERVED_FOR_CUSTOM.has(k)));
}
