import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import type { FunctionError } from '@zonesim/protocol';
import { isExecutableFile, runtimeApiEnv, type CustomRuntimeLaunch } from './custom-runtime-launch.js';
import { RUNTIME_DIR } from './runtime-host.js';
import type { EnvironmentConfig } from './types.js';

/**
 * Lambda's Java runtimes (docs/runtimes-java.md). Like the Python runtimes they run on the zone
 * node machine's own JDK (one per machine, whatever version the function names), through a runtime
 * client zonesim writes itself (`runtime/java/src/dev/zonesim/ric`, standard library only) under the
 * Runtime API: an environment is a custom-runtime environment whose program is the JVM running
 * `dev.zonesim.ric.Main`. The client and the public API handlers compile against
 * (`com.amazonaws.services.lambda.runtime`) ship as sources and are compiled once per machine into
 * a cache directory ({@link buildJavaRuntimeClient}).
 */

export { JAVA_RUNTIMES } from './runtime-names.js';

/** Sources of the runtime client and of the handler API. */
export const JAVA_SOURCE_DIR = join(RUNTIME_DIR, 'java', 'src');

/** The runtime client's main class. */
export const JAVA_RIC_MAIN_CLASS = 'dev.zonesim.ric.Main';

/** The oldest JDK that runs the client (compiled with `--release 17`). */
export const MIN_JAVA_MAJOR = 17;

/**
 * The JVM's options, after Lambda's Java runtimes (their `java` command line) where they exist:
 *
 * - `-XX:+UseSerialGC`: one GC thread and the smallest footprint; a function has one or two vCPUs.
 * - `-XX:+TieredCompilation -XX:TieredStopAtLevel=1`: C1 only. Lambda's java17+ default: most of a
 *   short invocation is spent before C2 would pay off, and C2's compiler threads cost memory.
 * - `-Xshare:auto`: map the JDK's class-data-sharing archive when it is there (cold start).
 * - `-Djava.net.preferIPv4Stack=true`: as on Lambda, whose environments have no IPv6.
 * - `-XX:-UsePerfData`: no `/tmp/hsperfdata_*` file in the function's /tmp (nor its mmap on every start).
 * - `-Dfile.encoding=UTF-8`: Lambda's default charset, whatever locale the machine has (JDK 17's
 *   default comes from the locale; 18+ is UTF-8 anyway).
 *
 * The heap (`-XX:MaxHeapSize`) is {@link JAVA_HEAP_FRACTION} of the memory size, added per launch.
 */
export const JAVA_OPTIONS: readonly string[] = [
  '-XX:+UseSerialGC',
  '-XX:+TieredCompilation',
  '-XX:TieredStopAtLevel=1',
  '-Xshare:auto',
  '-XX:-UsePerfData',
  '-Djava.net.preferIPv4Stack=true',
  '-Dfile.encoding=UTF-8',
];

/**
 * The heap's share of the memory size. Lambda's Java runtimes give the heap about 85 % of it
 * (`-XX:MaxHeapSize=445645k` at 512 MB): metaspace, code and thread stacks need the rest.
 */
export const JAVA_HEAP_FRACTION = 0.85;

/**
 * javac's options; they are part of the cache key. `-XDstringConcat=inline` compiles `a + b` to
 * StringBuilder calls instead of an invokedynamic call site, whose bootstrap on first use cost about
 * 5 ms of a ~70 ms start to the first `next` (medians of 3 x 8 alternating runs on JDK 17).
 */
const JAVAC_OPTIONS: readonly string[] = ['--release', String(MIN_JAVA_MAJOR), '-encoding', 'UTF-8', '-nowarn', '-XDstringConcat=inline'];

/** The file a finished build holds: its cache key. */
const BUILD_MARK = 'zonesim-ric.id';

/** How long javac may run before the build is abandoned. */
const JAVAC_TIMEOUT_MS = 120_000;

/** A leftover temporary build directory (a zone node died while compiling) older than this is removed. */
const STALE_BUILD_MS = 60 * 60_000;

/** Directories every sandbox binds from the host (sandbox/host-layout.ts): a JDK there needs no extra bind. */
const SYSTEM_DIRS = ['/usr/', '/bin/', '/sbin/', '/lib/', '/lib64/'];

/** Error codes of this module; tell errors apart by `code`. */
export const JavaRuntimeErrorCode = {
  /** The runtime client's sources are missing (a broken installation). */
  SourcesMissing: 'JAVA_RIC_SOURCES_MISSING',
  /** javac failed (or timed out, or was aborted) compiling the runtime client. */
  BuildFailed: 'JAVA_RIC_BUILD_FAILED',
} as const;
/** One of {@link JavaRuntimeErrorCode}. */
export type JavaRuntimeErrorCode = (typeof JavaRuntimeErrorCode)[keyof typeof JavaRuntimeErrorCode];

/** The Java runtime client could not be prepared; `output` holds javac's diagnostics, if any. */
export class JavaRuntimeError extends Error {
  override readonly name = 'JavaRuntimeError';
  constructor(
    readonly code: JavaRuntimeErrorCode,
    message: string,
    readonly output?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The machine's JDK, as probed once. All paths are real (no links), as the sandbox needs them. */
export interface JavaInstallation {
  /** `<home>/bin/java`. */
  java: string;
  /** A javac of 17 or later: `<home>/bin/javac`, else the first on PATH. */
  javac: string;
  /** The JDK's home directory. */
  home: string;
  /** What `java -version` says, e.g. `17.0.15`. */
  version: string;
  /** The feature release, e.g. `17` (`1.8.0_402` is 8). */
  major: number;
  /**
   * Host directories the JVM reads outside the system ones, bound read-only into the sandbox: the
   * home when it is elsewhere (`/opt/jdk`), and where its links lead (Debian's JDK keeps `jvm.cfg`
   * and its security files under `/etc/java-17-openjdk`).
   */
  roots: string[];
}

/** Options of {@link probeJava}. */
export interface ProbeJavaOptions {
  /** Where `JAVA_HOME` and `PATH` come from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Told why no JDK is usable (none found, too old, `java -version` failed), when it returns undefined. */
  onUnavailable?: (reason: string) => void;
}

function onPath(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** `"17.0.15"` -> 17, `"1.8.0_402"` -> 8, `"21"` -> 21, `"25-ea"` -> 25. */
export function javaMajor(version: string): number | undefined {
  const m = /^(\d+)(?:\.(\d+))?/.exec(version);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] !== undefined ? Number(m[2]) : first;
}

/** The directories outside the system ones that `home` needs (see {@link JavaInstallation.roots}). */
function javaRoots(home: string): string[] {
  const outside = (p: string): boolean => !SYSTEM_DIRS.some((s) => `${p}/`.startsWith(s));
  const found = new Set<string>();
  if (outside(home)) found.add(home);
  for (const sub of ['lib', 'conf', join('lib', 'security'), join('conf', 'security')]) {
    const dir = join(home, sub);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const path = join(dir, name);
      try {
        if (!lstatSync(path).isSymbolicLink()) continue;
        const target = resolve(dir, readlinkSync(path));
        const real = existsSync(target) ? realpathSync(target) : target;
        const parent = dirname(real);
        if (outside(parent) && !(`${parent}/`.startsWith(`${home}/`))) found.add(parent);
      } catch {
        // An unreadable link is the JDK's own business: the JVM reports it if it needs the file.
      }
    }
  }
  // Keep only the outermost of nested directories (`/etc/java-17-openjdk` covers its `security/`).
  const all = [...found].sort();
  return all.filter((d) => !all.some((o) => o !== d && `${d}/`.startsWith(`${o}/`)));
}

/**
 * Finds the machine's JDK: `JAVA_HOME` first (when it holds an executable `bin/java`), then `java`
 * on PATH (its real location names the home), and runs `java -version` once. Synchronous: it is
 * meant to run once, at a zone node's start (or through {@link machineJava}).
 * @returns undefined when there is no JDK, no javac, or one older than {@link MIN_JAVA_MAJOR}
 *   (`onUnavailable` says which).
 */
export function probeJava(options: ProbeJavaOptions = {}): JavaInstallation | undefined {
  const located = locateJava(options);
  if ('reason' in located) return unavailable(options, located.reason);
  // Only PATH: the machine's JAVA_TOOL_OPTIONS would add a "Picked up" line and could change the JVM.
  const r = spawnSync(located.java, ['-version'], { encoding: 'utf8', timeout: 15_000, env: { PATH: (options.env ?? process.env)['PATH'] ?? '' } });
  const failed = r.error !== undefined || r.status !== 0 ? (r.error?.message ?? `exit status ${String(r.status)}: ${String(r.stderr).trim().slice(0, 500)}`) : undefined;
  return checkVersion(options, located, failed, `${String(r.stderr)}\n${String(r.stdout)}`);
}

/** {@link probeJava} without blocking the event loop (`java -version` starts a JVM): what a zone node uses. */
export async function probeJavaAsync(options: ProbeJavaOptions = {}): Promise<JavaInstallation | undefined> {
  const located = locateJava(options);
  if ('reason' in located) return unavailable(options, located.reason);
  const { failed, text } = await new Promise<{ failed: string | undefined; text: string }>((resolve) => {
    execFile(located.java, ['-version'], { encoding: 'utf8', timeout: 15_000, env: { PATH: (options.env ?? process.env)['PATH'] ?? '' } }, (err, stdout, stderr) =>
      resolve({ failed: err ? `${err.message}: ${String(stderr).trim().slice(0, 500)}` : undefined, text: `${String(stderr)}\n${String(stdout)}` }),
    );
  });
  return checkVersion(options, located, failed, text);
}

function unavailable(options: ProbeJavaOptions, reason: string): undefined {
  options.onUnavailable?.(reason);
  return undefined;
}

/** Where `java` and `javac` are (file system only), or why there is no JDK. */
function locateJava(options: ProbeJavaOptions): { java: string; javac: string; home: string } | { reason: string } {
  const env = options.env ?? process.env;
  let home: string | undefined;
  const notes: string[] = [];
  const javaHome = env['JAVA_HOME'];
  if (javaHome !== undefined && javaHome !== '') {
    if (isExecutableFile(join(javaHome, 'bin', 'java'))) home = realpathSync(javaHome);
    else notes.push(`JAVA_HOME=${javaHome} has no executable bin/java`);
  }
  if (home === undefined) {
    const found = onPath('java', env['PATH']);
    if (found === undefined) return { reason: [...notes, 'no java on PATH'].join('; ') };
    home = dirname(dirname(realpathSync(found)));
  }
  const java = join(home, 'bin', 'java');
  if (!isExecutableFile(java)) return { reason: `${java} is not an executable (the java on PATH is not inside a JDK's bin/)` };
  let javac = join(home, 'bin', 'javac');
  if (!isExecutableFile(javac)) {
    const other = onPath('javac', env['PATH']);
    if (other === undefined) return { reason: `no javac in ${home}/bin or on PATH (a JRE cannot compile the runtime client)` };
    javac = realpathSync(other);
  }
  return { java, javac, home };
}

/** The installation, from what `java -version` printed (or why it is not usable). */
function checkVersion(options: ProbeJavaOptions, located: { java: string; javac: string; home: string }, failed: string | undefined, text: string): JavaInstallation | undefined {
  const { java, javac, home } = located;
  if (failed !== undefined) return unavailable(options, `${java} -version failed: ${failed}`);
  const version = /version "([^"]+)"/.exec(text)?.[1];
  const major = version === undefined ? undefined : javaMajor(version);
  if (version === undefined || major === undefined) return unavailable(options, `cannot read a version in the output of ${java} -version: ${text.trim().slice(0, 200)}`);
  if (major < MIN_JAVA_MAJOR) return unavailable(options, `${java} is Java ${version}; the Java runtimes need ${MIN_JAVA_MAJOR} or later`);
  return { java, javac, home, version, major, roots: javaRoots(home) };
}

let probed: Promise<{ jdk: JavaInstallation | undefined; reason: string | undefined }> | undefined;

/** The machine's JDK, probed once per process without blocking the event loop; `reason` says why there is none. */
export function machineJava(): Promise<{ jdk: JavaInstallation | undefined; reason: string | undefined }> {
  probed ??= (async () => {
    let reason: string | undefined;
    const jdk = await probeJavaAsync({ onUnavailable: (r) => (reason = r) });
    return { jdk, reason };
  })();
  return probed;
}

let client: Promise<{ jdk: JavaInstallation | undefined; ricDir: string | undefined }> | undefined;

/** Where the compiled runtime client is cached on this machine (shared by its zone nodes). */
export const JAVA_RIC_CACHE_DIR = process.env['ZONESIM_JAVA_CACHE'] ?? join(tmpdir(), 'zonesim-java-ric');

/**
 * The machine's JDK and the runtime client compiled for it, once per process (a zone node starts
 * the build at start so that the first Java cold start does not wait for javac). A failed build
 * leaves `ricDir` undefined: Java functions then fail INIT saying so.
 */
export function machineJavaClient(): Promise<{ jdk: JavaInstallation | undefined; ricDir: string | undefined }> {
  client ??= (async () => {
    const { jdk } = await machineJava();
    if (!jdk) return { jdk, ricDir: undefined };
    try {
      return { jdk, ricDir: await buildJavaRuntimeClient(jdk, JAVA_RIC_CACHE_DIR) };
    } catch {
      return { jdk, ricDir: undefined };
    }
  })();
  return client;
}

/** `java:17.0.15`: what INIT_START and REPORT name as the runtime version. */
export function javaRuntimeVersion(jdk: JavaInstallation): string {
  return `java:${jdk.version}`;
}

/** The `.java` files under `dir`, as sorted paths relative to it. */
function javaSources(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel === '' ? entry.name : join(rel, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith('.java')) out.push(path);
    }
  };
  walk('');
  return out.sort();
}

/** sha256 over javac's options and every source (path and content), 16 hex digits. */
function sourcesKey(dir: string, files: readonly string[]): string {
  const h = createHash('sha256');
  h.update(JAVAC_OPTIONS.join(' '));
  h.update('\0');
  for (const rel of files) {
    h.update(rel.split(sep).join('/'));
    h.update('\0');
    h.update(readFileSync(join(dir, rel)));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

function isFinished(dir: string, key: string): boolean {
  try {
    return readFileSync(join(dir, BUILD_MARK), 'utf8') === key;
  } catch {
    return false;
  }
}

/** Builds in flight in this process, by target directory: a second caller waits for the first. */
const building = new Map<string, Promise<string>>();

/**
 * Compiles the runtime client and the handler API ({@link JAVA_SOURCE_DIR}) with `javac --release 17`
 * into `<cacheRoot>/java-ric-<key>/` and returns that classes directory. `key` is 16 hex digits of
 * the sha256 of the sources (and javac's options), so an edited client gets a new directory and a
 * finished one is reused as is, by every zone node sharing `cacheRoot`.
 *
 * Asynchronous (javac takes one to a few seconds; the zone node's event loop keeps running). The
 * build goes to a temporary directory that is renamed into place when complete, so a directory
 * under its final name is always whole: a concurrent caller in this process waits for the same
 * build; one in another process compiles too, and whoever renames second drops its copy.
 * @throws JavaRuntimeError `JAVA_RIC_SOURCES_MISSING`, or `JAVA_RIC_BUILD_FAILED` with javac's output.
 */
export async function buildJavaRuntimeClient(jdk: JavaInstallation, cacheRoot: string, options: { signal?: AbortSignal } = {}): Promise<string> {
  let files: string[];
  try {
    files = javaSources(JAVA_SOURCE_DIR);
  } catch (err) {
    throw new JavaRuntimeError(JavaRuntimeErrorCode.SourcesMissing, `cannot read the Java runtime client's sources in ${JAVA_SOURCE_DIR}: ${String(err)}`, undefined, { cause: err });
  }
  if (!files.some((f) => f.split(sep).join('/') === 'dev/zonesim/ric/Main.java')) {
    throw new JavaRuntimeError(JavaRuntimeErrorCode.SourcesMissing, `${JAVA_SOURCE_DIR} has no dev/zonesim/ric/Main.java`);
  }
  const key = sourcesKey(JAVA_SOURCE_DIR, files);
  const target = join(resolve(cacheRoot), `java-ric-${key}`);
  if (isFinished(target, key)) return target;
  const pending = building.get(target);
  if (pending) return pending;
  const build = compile(jdk, files, target, key, options.signal).finally(() => building.delete(target));
  building.set(target, build);
  return build;
}

const execFileAsync = promisify(execFile);

async function compile(jdk: JavaInstallation, files: readonly string[], target: string, key: string, signal: AbortSignal | undefined): Promise<string> {
  const root = dirname(target);
  await mkdir(root, { recursive: true });
  await sweepStaleBuilds(root);
  const tmp = await mkdtemp(join(root, `.java-ric-${key}.tmp-`));
  try {
    try {
      await execFileAsync(jdk.javac, [...JAVAC_OPTIONS, '-d', tmp, ...files], {
        cwd: JAVA_SOURCE_DIR,
        timeout: JAVAC_TIMEOUT_MS,
        maxBuffer: 4 * 1024 * 1024,
        ...(signal ? { signal } : {}),
        // javac is a JVM: the machine's JAVA_TOOL_OPTIONS must not change how it runs.
        env: { PATH: process.env['PATH'] ?? '', LANG: 'C.UTF-8' },
      });
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message?: string };
      const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim();
      throw new JavaRuntimeError(
        JavaRuntimeErrorCode.BuildFailed,
        `${jdk.javac} could not compile the Java runtime client: ${signal?.aborted ? 'aborted' : (e.message ?? String(err)).split('\n')[0]}`,
        output,
        { cause: err },
      );
    }
    await writeFile(join(tmp, BUILD_MARK), key);
    try {
      await rename(tmp, target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Another process renamed its identical build first: use that one.
      if ((code === 'ENOTEMPTY' || code === 'EEXIST') && isFinished(target, key)) return target;
      throw new JavaRuntimeError(JavaRuntimeErrorCode.BuildFailed, `cannot move the compiled runtime client to ${target}: ${String(err)}`, undefined, { cause: err });
    }
    return target;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Removes temporary build directories left by a process that died while compiling. */
async function sweepStaleBuilds(root: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names) {
    if (!name.startsWith('.java-ric-') || !name.includes('.tmp-')) continue;
    const path = join(root, name);
    try {
      if (now - (await stat(path)).mtimeMs > STALE_BUILD_MS) await rm(path, { recursive: true, force: true });
    } catch {
      // Best effort: another zone node may be removing it at the same moment.
    }
  }
}

/**
 * Why `handler` cannot name a Java handler, in Lambda's words (the Java runtime's check: a class
 * name, then optionally `::method`, neither empty); undefined when it can. A class that does not
 * exist is found out by the JVM, during INIT.
 */
export function javaHandlerProblem(handler: string): string | undefined {
  const sepAt = handler.lastIndexOf('::');
  const className = sepAt < 0 ? handler : handler.slice(0, sepAt);
  const method = sepAt < 0 ? undefined : handler.slice(sepAt + 2);
  if (className === '' || method === '') return `Invalid handler: \`${handler}'`;
  return undefined;
}

/**
 * The launch of a Java function: the machine's JVM running zonesim's runtime client, with the
 * class path Lambda builds (the code directory, its `lib/*.jar`, the layers' `/opt/java/lib/*.jar`)
 * behind the client's own classes, so that the handler API a package may bundle
 * (aws-lambda-java-core) is the runtime's. The client's directory is the runtime directory
 * (`LAMBDA_RUNTIME_DIR`, `/var/runtime` in the sandbox).
 *
 * A missing JDK or client (`jdk` / `ricDir` undefined: the zone node found no JDK or could not
 * build the client) is `Runtime.InvalidRuntime`; a malformed handler is the error the runtime
 * client would post for it (`Runtime.BadFunctionCode`, "Invalid handler: `...'"), without
 * starting a JVM.
 */
export function javaLaunch(
  config: EnvironmentConfig,
  runtimeApi: string,
  jdk: JavaInstallation | undefined,
  ricDir: string | undefined,
): CustomRuntimeLaunch | { error: FunctionError } {
  const { codeDir, spec } = config;
  // Layers are at /opt (the merged host directory outside the sandbox).
  const opt = config.optDir ?? '/opt';
  if (jdk === undefined || ricDir === undefined) {
    return {
      error: {
        errorType: 'Runtime.InvalidRuntime',
        errorMessage: `${spec.runtime} needs a JDK (${MIN_JAVA_MAJOR} or later, with javac) on the zone node's machine, and ${jdk === undefined ? 'none was found (set JAVA_HOME or put java on PATH)' : 'its runtime client could not be compiled'}`,
      },
    };
  }
  const problem = javaHandlerProblem(spec.handler);
  if (problem !== undefined) return { error: { errorType: 'Runtime.BadFunctionCode', errorMessage: problem } };
  const heapMb = Math.max(16, Math.floor(spec.memoryMb * JAVA_HEAP_FRACTION));
  const classPath = [ricDir, codeDir, join(codeDir, 'lib', '*'), `${opt}/java/lib/*`].join(':');
  const env = runtimeApiEnv(config, runtimeApi, codeDir, spec.handler, { executionEnv: true, runtimeDir: ricDir });
  return {
    command: jdk.java,
    args: [...JAVA_OPTIONS, `-XX:MaxHeapSize=${heapMb}m`, '-cp', classPath, JAVA_RIC_MAIN_CLASS],
    cwd: codeDir,
    env,
    runtimeDir: ricDir,
    hostRoots: jdk.roots,
    runtimeVersion: javaRuntimeVersion(jdk),
  };
}
