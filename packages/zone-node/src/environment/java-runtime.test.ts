/**
 * The Java runtime client (runtime/java/src) against the real Runtime API server: the client is
 * compiled into a temporary cache, the handlers of test/fixtures/java are compiled against it, and
 * each case starts `javaLaunch`'s JVM and drives it with `RuntimeApiServer.deliver`, asserting the
 * signals a Java environment would give the zone node (POJO / String / stream / method handlers,
 * the context, error shapes, INIT errors, OutOfMemoryError, output on stdout, warm reuse). Without a
 * JDK the suite skips, saying why, unless ZONESIM_REQUIRE_JAVA=1 (then it fails).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import type { FunctionSpec } from '@zonesim/protocol';
import { RuntimeApiServer, type RuntimeApiSignal } from '../runtime-api/runtime-api-server.js';
import {
  buildJavaRuntimeClient,
  JAVA_OPTIONS,
  JAVA_RIC_MAIN_CLASS,
  JAVA_RUNTIMES,
  javaLaunch,
  javaMajor,
  probeJava,
  type JavaInstallation,
} from './java-runtime.js';
import type { EnvironmentConfig } from './types.js';

const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:java-fn';
const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/java', import.meta.url));
/** Bound on any one wait, so that a broken client fails the case instead of hanging the suite. */
const WAIT_MS = 20_000;

let unavailable = '';
const JDK = probeJava({ onUnavailable: (reason) => (unavailable = reason) });
if (!JDK && process.env['ZONESIM_REQUIRE_JAVA'] === '1') throw new Error(`ZONESIM_REQUIRE_JAVA=1 but no usable JDK: ${unavailable}`);

function spec(overrides: Partial<FunctionSpec> = {}): FunctionSpec {
  return {
    specKey: 'java-fn:1',
    functionName: 'java-fn',
    version: '$LATEST',
    functionArn: ARN,
    codeSha256Hex: 'd'.repeat(64),
    handler: 'example.Hello',
    runtime: 'java17',
    memoryMb: 256,
    timeoutSec: 10,
    architecture: 'x86_64',
    environment: {},
    region: 'eu-west-1',
    ...overrides,
  };
}

function config(codeDir: string, overrides: Partial<FunctionSpec> = {}): EnvironmentConfig {
  return {
    environmentId: 'env-java-1',
    spec: spec(overrides),
    codeDir,
    logStreamName: '2026/01/02/[$LATEST]0123456789abcdef0123456789abcdef',
    initializationType: 'on-demand',
  };
}

function javaFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...javaFiles(p));
    else if (e.name.endsWith('.java')) out.push(p);
  }
  return out;
}

/** A promise with a bound: rejects with `what` when it takes longer than WAIT_MS. */
function bounded<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS)));
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** One running Java runtime and its Runtime API. */
interface Running {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** The next signal of the API (rejects if the JVM exits first). */
  signal(): Promise<RuntimeApiSignal>;
  /** Delivers an event and waits for its answer. */
  invoke(payload: unknown, extra?: { requestId?: string; deadlineMs?: number; raw?: Buffer; clientContext?: string; cognitoIdentity?: string }): Promise<RuntimeApiSignal>;
  /** Resolves with a stdout line matching `match` (at once if it came already). */
  line(match: RegExp): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** ms from spawn to the first `next`, once ready. */
  coldMs?: number;
}

async function startJava(t: Test, jdk: JavaInstallation, ricDir: string, codeDir: string, overrides: Partial<FunctionSpec> = {}, extraEnv: Record<string, string> = {}): Promise<Running> {
  const queue: RuntimeApiSignal[] = [];
  const waiters: ((s: RuntimeApiSignal) => void)[] = [];
  const api = new RuntimeApiServer((s) => {
    const w = waiters.shift();
    if (w) w(s);
    else queue.push(s);
  });
  const address = await api.listen();
  const launch = javaLaunch(config(codeDir, overrides), address, jdk, ricDir);
  if ('error' in launch) throw new Error(`unexpected launch error: ${JSON.stringify(launch.error)}`);
  const child = spawn(launch.command, launch.args, { cwd: launch.cwd, env: { ...launch.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const lineWaiters: { match: RegExp; resolve: (l: string) => void }[] = [];
  const collect = (into: string[], isStdout: boolean) => {
    let rest = '';
    return (chunk: Buffer): void => {
      const parts = (rest + chunk.toString('utf8')).split('\n');
      rest = parts.pop() ?? '';
      for (const l of parts) {
        into.push(l);
        if (!isStdout) continue;
        for (let i = lineWaiters.length - 1; i >= 0; i--) {
          if (lineWaiters[i]!.match.test(l)) lineWaiters.splice(i, 1)[0]!.resolve(l);
        }
      }
    };
  };
  child.stdout!.on('data', collect(stdout, true));
  child.stderr!.on('data', collect(stderr, false));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once('close', (code: number | null, signal: NodeJS.Signals | null) => res({ code, signal })));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    await api.close();
  });
  const running: Running = {
    child,
    stdout,
    stderr,
    exited,
    signal: () => {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      const next = new Promise<RuntimeApiSignal>((res) => waiters.push(res));
      const died = exited.then(({ code, signal }) => {
        throw new Error(`the JVM exited (${code ?? signal}) before the next signal; stderr:\n${stderr.join('\n')}`);
      });
      return bounded(Promise.race([next, died]), 'a Runtime API signal');
    },
    invoke: async (payload, extra = {}) => {
      api.deliver({
        requestId: extra.requestId ?? `req-${Math.random().toString(16).slice(2)}`,
        payload: extra.raw ?? Buffer.from(JSON.stringify(payload)),
        deadlineMs: extra.deadlineMs ?? Date.now() + 10_000,
        invokedFunctionArn: ARN,
        traceId: 'Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=0',
        ...(extra.clientContext ? { clientContext: extra.clientContext } : {}),
        ...(extra.cognitoIdentity ? { cognitoIdentity: extra.cognitoIdentity } : {}),
      });
      return running.signal();
    },
    line: (match) => {
      const seen = stdout.find((l) => match.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return bounded(new Promise<string>((res) => lineWaiters.push({ match, resolve: res })), `a stdout line matching ${String(match)}`);
    },
  };
  return running;
}

/** Starts and waits for INIT to end (the first `next`). */
async function startReady(t: Test, jdk: JavaInstallation, ricDir: string, codeDir: string, overrides: Partial<FunctionSpec> = {}): Promise<Running> {
  const t0 = performance.now();
  const r = await startJava(t, jdk, ricDir, codeDir, overrides);
  const first = await r.signal();
  t.equal(first.kind, 'ready', `INIT ends with the first next${first.kind === 'init-error' ? `: ${JSON.stringify(first.error)}` : ''}`);
  r.coldMs = performance.now() - t0;
  return r;
}

/**
 * Thrower's trace: `fail`, the `handleRequest` that calls it, and javac's bridge
 * `handleRequest(Object, Context)` at the class's line, through which the runtime calls a
 * RequestHandler (Lambda's traces show the same pair).
 */
const THROWER_TRACE = ['example.Thrower.fail(Thrower.java:16)', 'example.Thrower.handleRequest(Thrower.java:12)', 'example.Thrower.handleRequest(Thrower.java:8)'];

const json = (s: RuntimeApiSignal): unknown => (s.kind === 'response' ? JSON.parse(s.payload.toString('utf8')) : s);

function suite(t: Test, jdk: JavaInstallation): void {
  const work = mkdtempSync(join(tmpdir(), 'zonesim-java-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  let ricDir = '';
  let codeDir = '';
  let jarCodeDir = '';

  t.before(async () => {
    // Two concurrent callers share one build.
    const cache = join(work, 'cache');
    const [a, b] = await Promise.all([buildJavaRuntimeClient(jdk, cache), buildJavaRuntimeClient(jdk, cache)]);
    ricDir = a;
    if (a !== b) throw new Error(`two concurrent builds gave two directories: ${a}, ${b}`);

    // lib/shout.jar, then the handlers compiled against zonesim's handler API and that jar.
    codeDir = join(work, 'code');
    const libClasses = join(work, 'lib-classes');
    mkdirSync(join(codeDir, 'lib'), { recursive: true });
    mkdirSync(libClasses);
    execFileSync(jdk.javac, ['--release', '17', '-d', libClasses, ...javaFiles(join(FIXTURES, 'lib'))]);
    const jar = join(jdk.home, 'bin', 'jar');
    execFileSync(jar, ['cf', join(codeDir, 'lib', 'shout.jar'), '-C', libClasses, '.']);
    execFileSync(jdk.javac, ['--release', '17', '-cp', `${ricDir}:${join(codeDir, 'lib', 'shout.jar')}`, '-d', codeDir, ...javaFiles(join(FIXTURES, 'handlers'))]);

    // The same classes as a jar, unpacked the way a deployment package is.
    const handlersJar = join(work, 'handlers.jar');
    execFileSync(jar, ['cf', handlersJar, '-C', codeDir, 'example']);
    jarCodeDir = join(work, 'code-from-jar');
    mkdirSync(jarCodeDir);
    execFileSync(jar, ['xf', handlersJar], { cwd: jarCodeDir });
  });

  t.test('the client is built once: the cache directory is reused', async (t) => {
    const mtime = statSync(ricDir).mtimeMs;
    const again = await buildJavaRuntimeClient(jdk, join(work, 'cache'));
    t.equal(again, ricDir);
    t.equal(statSync(ricDir).mtimeMs, mtime, 'not rebuilt');
    t.match(ricDir, /java-ric-[0-9a-f]{16}$/);
    t.ok(existsSync(join(ricDir, 'dev', 'zonesim', 'ric', 'Main.class')));
    t.ok(existsSync(join(ricDir, 'com', 'amazonaws', 'services', 'lambda', 'runtime', 'RequestHandler.class')));
    t.same(readdirSync(join(work, 'cache')), [ricDir.split('/').pop()], 'no temporary directory is left behind');
  });

  t.test('a POJO handler from an unpacked jar: event object in, POJO out as JSON', async (t) => {
    const r = await startReady(t, jdk, ricDir, jarCodeDir, { handler: 'example.PojoHandler' });
    t.comment(`cold start (spawn to first next): ${r.coldMs!.toFixed(0)} ms`);
    const event = {
      orderId: 'o-1',
      items: [{ sku: 'apple', price: 0.5, count: 4 }, { sku: 'pear', price: 1.25, count: 2, colour: 'green' }],
      batches: { a: [1, 2, 3], b: [10] },
      Customer: { name: 'Ada', email: 'ada@example.com' },
      priority: true,
      createdAt: 1767225600000,
      unknown: { nested: [1, 2] },
    };
    const s = await r.invoke(event);
    t.same(json(s), {
      orderId: 'o-1',
      total: 4.5,
      lines: ['4 x apple', '2 x pear'],
      priority: true,
      batchSizes: { a: 6, b: 10 },
      customerName: 'Ada <ada@example.com> at 1767225600000',
    }, 'getters, generic fields, a case-insensitive key, unknown properties ignored, null left out');
    t.equal(await r.line(/^pojo handler got order/), 'pojo handler got order o-1', 'System.out lines arrive on stdout');
    const bad = await r.invoke({ items: 'not a list', batches: {} });
    t.equal(bad.kind, 'error');
    if (bad.kind === 'error') {
      t.equal(bad.error.errorType, 'java.lang.RuntimeException');
      t.equal(bad.error.errorMessage, 'An error occurred during JSON parsing', "Lambda's words for an event that does not fit");
      t.same(bad.error.stackTrace, [], "the runtime client's own frames are not shown");
    }
  });

  t.test('the JSON mapping: a type variable bound by a superclass, records, enums, sets, arrays, byte[], BigDecimal, Optional', async (t) => {
    const r = await startReady(t, jdk, ricDir, codeDir, { handler: 'example.Shapes' });
    const s = await r.invoke({
      payload: { sku: 'p', price: 1, count: 1 },
      history: [{ sku: 'h1' }, { sku: 'h2' }],
      byName: { first: { sku: 'f' } },
      point: { x: 3, y: 4 },
      color: 'GREEN',
      unknownColor: 'PURPLE',
      tags: ['b', 'a', 'b'],
      data: Buffer.from('zonesim').toString('base64'),
      amount: 12.5,
      counts: [1, 2, 3],
      matrix: [[1, 2], [3]],
      maybe: 'here',
      none: null,
      initial: 'Q',
      fromString: '41',
    });
    t.same(json(s), {
      payloadClass: 'example.Item',
      historySkus: ['h1', 'h2'],
      byNameClass: 'example.Item',
      point: { x: 3, y: 4 },
      pointSum: 7,
      color: 'GREEN',
      unknownColor: null,
      tagsClass: 'java.util.LinkedHashSet',
      tags: ['b', 'a'],
      data: Buffer.from('zonesim').toString('base64'),
      dataLength: 7,
      amount: 13.5,
      counts: [1, 2, 3],
      matrixInnerClass: 'java.lang.Long',
      maybe: 'here',
      noneIsEmpty: true,
      initial: 'Q',
      fromString: 42,
      nan: 'NaN',
      epoch: 0,
      optional: 'present',
      nothing: null,
    });
  });

  t.test('a String handler, warm on the second and later invocations', async (t) => {
    const r = await startReady(t, jdk, ricDir, codeDir, { handler: 'example.Hello' });
    const pid = r.child.pid;
    t.same(json(await r.invoke('World', { requestId: 'hello-1' })), 'Hello, World! (call 1)');
    t.same(json(await r.invoke('again', { requestId: 'hello-2' })), 'Hello, again! (call 2)', 'same process, same handler instance');
    t.equal(r.child.pid, pid);
    await r.line(/^hello line 2$/);
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      const s = await r.invoke(`n${i}`);
      times.push(performance.now() - t0);
      t.equal(s.kind, 'response');
    }
    times.sort((a, b) => a - b);
    t.comment(`warm round trip (deliver to response), 30 calls: median ${times[15]!.toFixed(2)} ms, max ${times[29]!.toFixed(2)} ms`);
    t.equal(r.child.exitCode, null, 'still running');
  });

  t.test('a RequestStreamHandler gets the raw bytes and answers raw bytes', async (t) => {
    const r = await startReady(t, jdk, ricDir, codeDir, { handler: 'example.Upper' });
    const s = await r.invoke(undefined, { raw: Buffer.from('{"say":"héllo"}') });
    t.equal(s.kind, 'response');
    if (s.kind === 'response') t.equal(s.payload.toString('utf8'), '{"SAY":"HÉLLO"}');
  });

  t.test('named methods: a static (event, Context) one and an instance one with a generic list', async (t) => {
    const greet = await startReady(t, jdk, ricDir, codeDir, { handler: 'example.Methods::greet' });
    t.same(json(await greet.invoke({ name: 'Grace' })), 'greetings, Grace from java-fn');
    const sum = await startReady(t, jdk, ricDir, codeDir, { handler: 'example.Methods::sum' });
    t.same(json(await sum.invoke([1, 2, 39])), 42, 'the overload with more parameters wins');
  });

  t.test('a class from lib/*.jar is on the class path', async (t) => {
    const r = await startReady(t, jdk, ricDir, codeDir, { handler: 'example.UsesLib' });
    t.same(json(await r.invoke('hey')), 'HEY!');
  });

  t.test('the Context: request id, remaining time, function, memory; System.out, System.err and the logger on stdout', async (t) => {
    const r = await startReady(t, jdk, ricDir, codeDir, { handler: 'example.ContextProbe', memoryMb: 512, version: '7' });
    const deadline = Date.now() + 3000;
    const s = await r.invoke({ a: [1, 2.5, 'x', null, true] }, {
      requestId: 'ctx-1',
      deadlineMs: deadline,
      clientContext: JSON.stringify({ client: { app_title: 'app' }, custom: { k: 'v' }, env: { platform: 'Android' } }),
      cognitoIdentity: JSON.stringify({ cognitoIdentityId: 'id-1', cognitoIdentityPoolId: 'pool-1' }),
    });
    const body = json(s) as Record<string, unknown>;
    t.equal(body['requestId'], 'ctx-1');
    const r1 = body['remaining1'] as number;
    const r2 = body['remaining2'] as number;
    t.ok(r1 > 2000 && r1 <= 3000, `remaining time near the deadline (${r1} ms of 3000)`);
    t.ok(r2 <= r1 - 50, `remaining time decreases (${r1} -> ${r2})`);
    t.equal(body['functionName'], 'java-fn');
    t.equal(body['functionVersion'], '7');
    t.equal(body['memory'], 512);
    t.equal(body['logGroup'], '/aws/lambda/java-fn');
    t.equal(body['logStream'], '2026/01/02/[$LATEST]0123456789abcdef0123456789abcdef');
    t.equal(body['arn'], ARN);
    t.equal(body['trace'], 'Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=0', 'com.amazonaws.xray.traceHeader');
    t.equal(body['identityId'], 'id-1');
    t.equal(body['clientApp'], 'app');
    t.same(body['clientCustom'], { k: 'v' });
    t.same(body['event'], { a: [1, 2.5, 'x', null, true] }, 'Map<String, Object> gets what JSON gave');
    t.equal(body['executionEnv'], 'AWS_Lambda_java17');
    await r.line(/^stderr line$/);
    const ours = r.stdout.filter((l) => /^(stdout|logger|runtime logger|stderr) line$/.test(l));
    t.same(ours, ['stdout line', 'logger line', 'runtime logger line', 'stderr line'], 'one line per call, in the order written, all on stdout');
    t.same(r.stderr.filter((l) => l.endsWith(' line')), [], 'none of them on stderr');
  });

  /** LevelLogs' stdout lines for one invocation, from its "stdout TAG" line to its "end TAG" line, JSON ones parsed. */
  const levelLogs = async (tt: Test, r: Running, tag: string, requestId: string): Promise<unknown[]> => {
    tt.same(json(await r.invoke(tag, { requestId })), `logged ${tag}`);
    await r.line(new RegExp(`^end ${tag}$`));
    const lines = r.stdout.slice(r.stdout.indexOf(`stdout ${tag}`), r.stdout.indexOf(`end ${tag}`) + 1);
    return lines.map((l) => (l.startsWith('{') ? (JSON.parse(l) as unknown) : l));
  };
  /** `lines` without the JSON records' timestamps, each checked: ISO-8601 UTC with milliseconds, between `from` and now. */
  const untimed = (tt: Test, lines: unknown[], from: number): unknown[] => {
    const to = Date.now();
    return lines.map((l) => {
      if (typeof l === 'string') return l;
      const { timestamp, ...rest } = l as { timestamp: string };
      tt.match(timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'yyyy-MM-ddTHH:mm:ss.SSSZ');
      const at = Date.parse(timestamp);
      tt.ok(at >= from - 1 && at <= to, `${timestamp} is the time of the call`);
      return rest;
    });
  };
  const JSON_INFO = { jsonLogs: { applicationLogLevel: 'INFO', systemLogLevel: 'INFO' } } as const;

  t.test('LoggingConfig JSON: each LambdaLogger String record is a JSON line; System.out/err and byte messages stay plain', async (t) => {
    const from = Date.now();
    const r = await startReady(t, jdk, ricDir, codeDir, { handler: 'example.LevelLogs', ...JSON_INFO });
    const init = JSON.parse(await r.line(/init record/)) as Record<string, unknown>;
    t.same(Object.keys(init), ['timestamp', 'message', 'level'], 'a record written during INIT has no AWSRequestId');
    t.same(untimed(t, [init], from), [{ message: 'init record', level: 'INFO' }]);
    const lines = await levelLogs(t, r, 'a', 'json-1');
    const rec = (message: string, level: string): object => ({ message, level, AWSRequestId: 'json-1' });
    t.same(untimed(t, lines, from), [
      'stdout a',
      'stderr a',
      rec('plain a', 'UNDEFINED'),
      rec('INFO a', 'INFO'),
      rec('WARN a', 'WARN'),
      rec('ERROR a', 'ERROR'),
      rec('FATAL a', 'FATAL'),
      'bytes warn a',
      'bytes a',
      rec('two\nlines "a"', 'INFO'),
      { message: 'thread a', level: 'INFO' },
      'end a',
    ], 'TRACE and DEBUG (Strings and bytes) dropped below INFO; log(String) is UNDEFINED and never dropped; a thread of its own has no request id');
    t.same(Object.keys(lines[2] as object), ['timestamp', 'message', 'level', 'AWSRequestId'], "the real client's field order");
    const next = await levelLogs(t, r, 'b', 'json-2');
    t.match(next[2], { message: 'plain b', AWSRequestId: 'json-2' }, 'the request id follows the invocation');
    t.same(r.stderr.filter((l) => / [ab]$/.test(l)), [], 'nothing on stderr');
  });

  t.test('LoggingConfig JSON at ERROR: records below it are dropped, those without a level are not', async (t) => {
    const from = Date.now();
    const r = await startReady(t, jdk, ricDir, codeDir, { handler: 'example.LevelLogs', jsonLogs: { applicationLogLevel: 'ERROR', systemLogLevel: 'INFO' } });
    const rec = (message: string, level: string): object => ({ message, level, AWSRequestId: 'json-e' });
    t.same(untimed(t, await levelLogs(t, r, 'e', 'json-e'), from), ['stdout e', 'stderr e', rec('plain e', 'UNDEFINED'), rec('ERROR e', 'ERROR'), rec('FATAL e', 'FATAL'), 'bytes e', 'end e']);
    t.notOk(r.stdout.some((l) => l.includes('init record')), 'the INFO record of INIT is dropped too');
  });

  t.test("LoggingConfig JSON: the runtime's report of a thrown exception is an ERROR record of the invocation", async (t) => {
    const r = await startReady(t, jdk, ricDir, codeDir, { handler: 'example.Thrower', ...JSON_INFO });
    const s = await r.invoke({}, { requestId: 'json-err' });
    t.equal(s.kind, 'error');
    const report = JSON.parse(await r.line(/"level":"ERROR"/)) as Record<string, unknown>;
    t.match(report, { level: 'ERROR', AWSRequestId: 'json-err' });
    t.match(report['message'], /^boom: java\.lang\.IllegalStateException\njava\.lang\.IllegalStateException: boom\n\tat example\.Thrower\.fail\(Thrower\.java:16\)/);
    t.notOk(r.stderr.some((l) => l.includes('boom')), 'not on stderr as in the text format');
  });

  t.test('the text format: log(String) as it is, a level as a [LEVEL] prefix, nothing dropped', async (t) => {
    const r = await startReady(t, jdk, ricDir, codeDir, { handler: 'example.LevelLogs' });
    await r.line(/^\[INFO\] init record$/);
    t.same(await levelLogs(t, r, 't', 'text-1'), [
      'stdout t',
      'stderr t',
      'plain t',
      '[TRACE] TRACE t',
      '[DEBUG] DEBUG t',
      '[INFO] INFO t',
      '[WARN] WARN t',
      '[ERROR] ERROR t',
      '[FATAL] FATAL t',
      'bytes warn t',
      'bytes debug t',
      'bytes t',
      '[INFO] two',
      'lines "t"',
      '[INFO] thread t',
      'end t',
    ]);
  });

  t.test("the text format with the function's own AWS_LAMBDA_LOG_LEVEL: the real client filters by it in either format", async (t) => {
    const r = await startReady(t, jdk, ricDir, codeDir, { handler: 'example.LevelLogs', environment: { AWS_LAMBDA_LOG_LEVEL: 'warn' } });
    t.same(await levelLogs(t, r, 'w', 'text-w'), ['stdout w', 'stderr w', 'plain w', '[WARN] WARN w', '[ERROR] ERROR w', '[FATAL] FATAL w', 'bytes warn w', 'bytes w', 'end w']);
  });

  t.test('a log level or format the runtime cannot read stops it before INIT, as the real client does', async (t) => {
    for (const [name, value, message] of [
      ['AWS_LAMBDA_LOG_LEVEL', 'LOUD', "Invalid log level: 'LOUD' expected one of [TRACE, DEBUG, INFO, WARN, ERROR, FATAL]"],
      ['AWS_LAMBDA_LOG_FORMAT', 'XML', "Invalid log format: 'XML' expected one of [JSON, TEXT]"],
    ] as const) {
      const r = await startJava(t, jdk, ricDir, codeDir, { handler: 'example.LevelLogs', environment: { [name]: value } });
      t.same(await bounded(r.exited, 'the exit'), { code: 1, signal: null }, `${name}=${value}`);
      t.ok(r.stderr.some((l) => l.endsWith(message)), r.stderr.join('\n'));
    }
  });

  t.test("a thrown exception: Lambda's error shape, the trace on stderr, the environment kept", async (t) => {
    const r = await startReady(t, jdk, ricDir, codeDir, { handler: 'example.Thrower' });
    const s = await r.invoke({});
    t.equal(s.kind, 'error');
    if (s.kind !== 'error') return;
    t.equal(s.error.errorType, 'java.lang.IllegalStateException');
    t.equal(s.error.errorMessage, 'boom');
    t.same(s.error.stackTrace, THROWER_TRACE, 'Class.method(File.java:N), without the runtime client');
    t.ok(r.stderr.includes('boom: java.lang.IllegalStateException'), 'the report heads the trace on stderr');
    t.ok(r.stderr.includes('java.lang.IllegalStateException: boom'));
    t.same(json(await r.invoke({ ok: true })), 'fine', 'the same process answers the next event');
  });

  t.test('the error body has the cause, as posted to /invocation/{id}/error; one kept-alive connection', async (t) => {
    // RuntimeApiServer keeps errorType, errorMessage and stackTrace only: a bare server shows the rest.
    let posted: { body: string; errorTypeHeader: string | undefined } | undefined;
    let gotError!: () => void;
    const errored = new Promise<void>((res) => (gotError = res));
    let nexts = 0;
    let secondNext!: () => void;
    const waitingAgain = new Promise<void>((res) => (secondNext = res));
    let connections = 0;
    const server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/2018-06-01/runtime/invocation/next') {
          if (++nexts > 1) {
            secondNext();
            return; // the second next waits until the test ends
          }
          res.writeHead(200, { 'lambda-runtime-aws-request-id': 'raw-1', 'lambda-runtime-deadline-ms': String(Date.now() + 5000), 'lambda-runtime-invoked-function-arn': ARN });
          res.end('{}');
          return;
        }
        if (req.url === '/2018-06-01/runtime/invocation/raw-1/error') {
          posted = { body: Buffer.concat(chunks).toString('utf8'), errorTypeHeader: req.headers['lambda-runtime-function-error-type'] as string | undefined };
          gotError();
        }
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end('{"status":"OK"}');
      });
    });
    server.on('connection', () => connections++);
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    t.teardown(() => new Promise<void>((res) => {
      server.closeAllConnections();
      server.close(() => res());
    }));
    const launch = javaLaunch(config(codeDir, { handler: 'example.Thrower' }), `127.0.0.1:${(server.address() as AddressInfo).port}`, jdk, ricDir);
    if ('error' in launch) throw new Error('launch');
    const child = spawn(launch.command, launch.args, { cwd: launch.cwd, env: launch.env, stdio: 'ignore' });
    t.teardown(() => {
      child.kill('SIGKILL');
    });
    await bounded(errored, 'the error post');
    await bounded(waitingAgain, 'the second next');
    t.equal(connections, 1, 'next, the error post and the next next share one kept-alive connection');
    t.equal(posted?.errorTypeHeader, 'Runtime.UserException');
    t.same(JSON.parse(posted!.body), {
      errorMessage: 'boom',
      errorType: 'java.lang.IllegalStateException',
      stackTrace: THROWER_TRACE,
      cause: { errorMessage: 'root cause', errorType: 'java.lang.IllegalArgumentException', stackTrace: THROWER_TRACE },
    });
  });

  t.test('INIT errors: class not found, a throwing constructor, a throwing static initializer', async (t) => {
    const cases: { handler: string; errorType: string; errorMessage: string }[] = [
      { handler: 'example.Missing', errorType: 'java.lang.ClassNotFoundException', errorMessage: 'Class not found: example.Missing' },
      { handler: 'example.BadConstructor', errorType: 'java.lang.IllegalStateException', errorMessage: 'constructor failed' },
      { handler: 'example.BadStatic', errorType: 'java.lang.ExceptionInInitializerError', errorMessage: 'Error loading class example.BadStatic' },
      { handler: 'example.Methods::nope', errorType: 'Runtime.BadFunctionCode', errorMessage: 'No public method named nope with appropriate method signature found on class example.Methods' },
    ];
    await Promise.all(cases.map(async (c) => {
      const r = await startJava(t, jdk, ricDir, codeDir, { handler: c.handler });
      const s = await r.signal();
      t.equal(s.kind, 'init-error', c.handler);
      if (s.kind === 'init-error') {
        t.same(s.error, { errorType: c.errorType, errorMessage: c.errorMessage }, `${c.handler}: Lambda's message, no stack trace in the body`);
        t.equal(s.reportedType, 'Runtime.BadFunctionCode', 'INIT_REPORT names Runtime.BadFunctionCode');
      }
      t.same(await bounded(r.exited, 'the exit'), { code: 1, signal: null }, `${c.handler}: the runtime exits with status 1`);
      t.ok(r.stderr.some((l) => l.startsWith(c.errorMessage)), `${c.handler}: the report is on stderr`);
    }));
  });

  t.test('OutOfMemoryError is posted, then the runtime exits with status 1', async (t) => {
    const r = await startReady(t, jdk, ricDir, codeDir, { handler: 'example.Oom', memoryMb: 128 });
    const s = await r.invoke({});
    t.equal(s.kind, 'error');
    if (s.kind === 'error') {
      t.equal(s.error.errorType, 'java.lang.OutOfMemoryError');
      t.equal(s.error.errorMessage, 'Java heap space');
    }
    t.same(await bounded(r.exited, 'the exit'), { code: 1, signal: null });
  });
}

t.test('javaLaunch: the JVM command line and environment; malformed handlers and a missing JDK', (t) => {
  const fakeJdk: JavaInstallation = { java: '/jdk/bin/java', javac: '/jdk/bin/javac', home: '/jdk', version: '21.0.2', major: 21, roots: ['/jdk'] };
  const launch = javaLaunch(config('/code', { runtime: 'java21', memoryMb: 1024, environment: { JAVA_TOOL_OPTIONS: '-Dfrom=function', FOO: 'bar' } }), '127.0.0.1:9001', fakeJdk, '/cache/java-ric-0123456789abcdef');
  if ('error' in launch) throw new Error('unexpected error');
  t.equal(launch.command, '/jdk/bin/java');
  t.same(launch.args, [...JAVA_OPTIONS, '-XX:MaxHeapSize=870m', '-cp', '/cache/java-ric-0123456789abcdef:/code:/code/lib/*:/opt/java/lib/*', JAVA_RIC_MAIN_CLASS]);
  t.equal(launch.cwd, '/code');
  t.equal(launch.runtimeDir, '/cache/java-ric-0123456789abcdef', 'the client is the runtime directory (/var/runtime in the sandbox)');
  t.same(launch.hostRoots, ['/jdk']);
  t.equal(launch.runtimeVersion, 'java:21.0.2');
  t.equal(launch.env['AWS_EXECUTION_ENV'], 'AWS_Lambda_java21');
  t.equal(launch.env['_HANDLER'], 'example.Hello');
  t.equal(launch.env['AWS_LAMBDA_RUNTIME_API'], '127.0.0.1:9001');
  t.equal(launch.env['LAMBDA_TASK_ROOT'], '/code');
  t.equal(launch.env['JAVA_TOOL_OPTIONS'], '-Dfrom=function', "the function's own JAVA_TOOL_OPTIONS applies, as on Lambda");
  t.equal(launch.env['FOO'], 'bar');

  const saved = process.env['JAVA_TOOL_OPTIONS'];
  process.env['JAVA_TOOL_OPTIONS'] = '-Dfrom=zone-node';
  try {
    const plain = javaLaunch(config('/code'), '127.0.0.1:9001', fakeJdk, '/ric');
    t.equal('error' in plain ? 'error' : plain.env['JAVA_TOOL_OPTIONS'], undefined, "the zone node's JAVA_TOOL_OPTIONS does not leak in");
  } finally {
    if (saved === undefined) delete process.env['JAVA_TOOL_OPTIONS'];
    else process.env['JAVA_TOOL_OPTIONS'] = saved;
  }

  for (const handler of ['::handleRequest', 'example.Hello::']) {
    t.same(javaLaunch(config('/code', { handler }), '127.0.0.1:9001', fakeJdk, '/ric'), {
      error: { errorType: 'Runtime.BadFunctionCode', errorMessage: `Invalid handler: \`${handler}'` },
    }, `malformed: ${handler}`);
  }
  const missing = javaLaunch(config('/code'), '127.0.0.1:9001', undefined, undefined);
  t.equal('error' in missing ? missing.error.errorType : '', 'Runtime.InvalidRuntime');
  t.same(JAVA_RUNTIMES, ['java17', 'java21']);
  t.equal(javaMajor('17.0.15'), 17);
  t.equal(javaMajor('1.8.0_402'), 8);
  t.equal(javaMajor('25-ea'), 25);
  t.end();
});

t.test('probeJava: JAVA_HOME first; nothing usable is reported, not thrown', (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'zonesim-nojava-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  let reason = '';
  t.equal(probeJava({ env: { PATH: empty }, onUnavailable: (r) => (reason = r) }), undefined);
  t.match(reason, /no java on PATH/);
  const fakeHome = join(empty, 'jdk');
  mkdirSync(join(fakeHome, 'bin'), { recursive: true });
  writeFileSync(join(fakeHome, 'bin', 'java'), '#!/bin/sh\necho \'openjdk version "11.0.2" 2019-01-15\' >&2\n', { mode: 0o755 });
  writeFileSync(join(fakeHome, 'bin', 'javac'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  t.equal(probeJava({ env: { JAVA_HOME: fakeHome, PATH: '/usr/bin:/bin' }, onUnavailable: (r) => (reason = r) }), undefined);
  t.match(reason, /Java 11\.0\.2; the Java runtimes need 17 or later/, 'JAVA_HOME wins over PATH, and 11 is too old');
  if (JDK) {
    t.equal(JDK.major, javaMajor(JDK.version));
    t.ok(JDK.major >= 17);
    t.equal(JDK.java, resolve(JDK.home, 'bin', 'java'));
  }
  t.end();
});

t.test('the Java runtime client', JDK ? {} : { skip: `no usable JDK on this machine: ${unavailable}` }, async (t) => suite(t, JDK!));
