import { execFile, spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { FunctionError } from '@zonesim/protocol';
import { runtimeApiEnv, type CustomRuntimeLaunch } from './custom-runtime-launch.js';
import { RUNTIME_DIR } from './runtime-host.js';
import type { EnvironmentConfig } from './types.js';

/**
 * Lambda's Python runtimes (docs/runtimes.md, Python). They all run on the zone node machine's own
 * `python3` (there is one interpreter per machine, not one per runtime), through zonesim's runtime
 * client `runtime/python/bootstrap.py` under the Runtime API: an environment is a custom-runtime
 * environment whose bootstrap is that client. The interpreter that actually ran is named in each
 * cold start's INIT_START and REPORT lines, since it may differ from the one the function asked for.
 */

export { PYTHON_RUNTIMES } from './runtime-names.js';

/** The runtime client, run by path. */
export const PYTHON_BOOTSTRAP = join(RUNTIME_DIR, 'python', 'bootstrap.py');

/** The machine's Python, as probed once. */
export interface PythonInstallation {
  /** The interpreter binary itself (not a shim such as pyenv's). */
  executable: string;
  /** e.g. `3.11.7`. */
  version: string;
  /** e.g. `3.11`: names `/opt/python/lib/python3.11/site-packages`. */
  majorMinor: string;
  /** Installation directories outside the system ones, bound read-only into the sandbox. */
  roots: string[];
  /** boto3's version when the interpreter can import it (Lambda's Python runtimes include it). */
  boto3?: string;
}

const PROBE = [
  'import sys, json',
  'try:',
  '    import boto3; b = boto3.__version__',
  'except Exception:',
  '    b = None',
  'print(json.dumps({"executable": sys.executable, "version": "%d.%d.%d" % sys.version_info[:3], "prefix": sys.prefix, "base": sys.base_prefix, "boto3": b}))',
].join('\n');

/** What the probe printed, as an installation (undefined when it is not a usable Python). */
function parseProbe(stdout: string): PythonInstallation | undefined {
  try {
    const p = JSON.parse(stdout.trim()) as { executable: string; version: string; prefix: string; base: string; boto3: string | null };
    const [major, minor] = p.version.split('.').map(Number);
    if (major !== 3 || minor === undefined || minor < 8) return undefined;
    const system = ['/usr/', '/bin/', '/lib/', '/lib64/'];
    const roots = [...new Set([p.prefix, p.base].map((d) => realpathSync(d)))].filter((d) => !system.some((s) => `${d}/`.startsWith(s)));
    return {
      executable: realpathSync(p.executable),
      version: p.version,
      majorMinor: `${major}.${minor}`,
      roots,
      ...(p.boto3 ? { boto3: p.boto3 } : {}),
    };
  } catch {
    return undefined;
  }
}

/** `python3` on PATH, or `ZONESIM_PYTHON`. */
const pythonCommand = (): string => process.env['ZONESIM_PYTHON'] ?? 'python3';

/**
 * Finds `python3` on PATH (or `ZONESIM_PYTHON`) and asks it what it is. Undefined when there is
 * none, or it is older than 3.8. Synchronous, for tools and tests; a zone node uses
 * {@link machinePython}, which does not block its event loop (importing boto3 takes a while).
 */
export function probePython(command: string = pythonCommand()): PythonInstallation | undefined {
  const r = spawnSync(command, ['-c', PROBE], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0 || typeof r.stdout !== 'string') return undefined;
  return parseProbe(r.stdout);
}

let probed: Promise<PythonInstallation | undefined> | undefined;

/** The machine's Python, probed once per process, asynchronously (at the first Python cold start). */
export function machinePython(): Promise<PythonInstallation | undefined> {
  probed ??= new Promise((resolve) => {
    execFile(pythonCommand(), ['-c', PROBE], { encoding: 'utf8', timeout: 10_000 }, (err, stdout) => resolve(err ? undefined : parseProbe(stdout)));
  });
  return probed;
}

/** `python:3.11.7`: what INIT_START and REPORT name as the runtime version. */
export function pythonRuntimeVersion(python: PythonInstallation): string {
  return `python:${python.version}`;
}

/**
 * The launch of a Python function: the machine's interpreter running the runtime client, with the
 * code directory first on the module path, then the layers' `/opt/python` directories (as Lambda
 * orders them), then the interpreter's own site-packages (boto3).
 */
export function pythonLaunch(config: EnvironmentConfig, runtimeApi: string, python: PythonInstallation | undefined): CustomRuntimeLaunch | { error: FunctionError } {
  if (!python) {
    return {
      error: {
        errorType: 'Runtime.InvalidRuntime',
        errorMessage: `${config.spec.runtime} needs python3 (3.8 or later) on the zone node's machine, and none was found on PATH (set ZONESIM_PYTHON to its path)`,
      },
    };
  }
  const { codeDir, spec } = config;
  // Layers are at /opt (the merged host directory outside the sandbox).
  const opt = config.optDir ?? '/opt';
  const pythonPath = [codeDir, `${opt}/python/lib/python${python.majorMinor}/site-packages`, `${opt}/python`].join(':');
  const env = runtimeApiEnv(config, runtimeApi, codeDir, spec.handler, {
    executionEnv: true,
    extra: {
      PYTHONPATH: pythonPath,
      // Lambda's Python runtimes: no .pyc files written next to read-only code, UTF-8 streams.
      PYTHONDONTWRITEBYTECODE: '1',
      PYTHONIOENCODING: 'utf-8',
    },
    runtimeDir: RUNTIME_DIR,
  });
  return {
    command: python.executable,
    // -u: unbuffered, so a line is in the log when it is printed (a timeout must not lose it); -s: no user site.
    args: ['-u', '-s', PYTHON_BOOTSTRAP],
    cwd: codeDir,
    env,
    runtimeDir: RUNTIME_DIR,
    hostRoots: python.roots,
    runtimeVersion: pythonRuntimeVersion(python),
  };
}
