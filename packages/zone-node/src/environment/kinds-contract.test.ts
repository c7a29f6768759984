/**
 * The environment contract every kind of environment keeps (issue 17), one suite run against each:
 * Node.js (process and worker isolation), a custom runtime (a /bin/sh bootstrap with curl),
 * Python, Java and synthetic functions. Each kind supplies its code for the same behaviours (an
 * echo that counts its calls, a handled error, a sleep past the timeout, a memory hog, a failing
 * INIT, a printed line); the cases assert what the platform must make of them whatever the
 * language: cold then warm with INIT billed once, the error's type with the environment kept,
 * Sandbox.Timedout and Runtime.OutOfMemory discarding it, INIT_REPORT and the INIT error on the first
 * invoke, the line inside START ... END, provisioned INIT ahead of the first invoke, and an abort.
 * The per-kind suites (environment-contract.test.ts, custom-runtime-, python-, java- and
 * synthetic-environment.test.ts) cover what is particular to each, and the sandboxed variants.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import type { FunctionSpec } from '@zonesim/protocol';
import { writeCodeDir, type CodeFile } from '../test-util/code-dir.js';
import { functionSpecFor } from '../test-util/function-spec.js';
import { testEnvironment, type TestEnvironment } from '../test-util/environment-harness.js';
import { machineJavaClient, machinePython } from './index.js';
import type { EnvironmentInvokeResult, IsolationMode } from './types.js';

type Behaviour = 'echo' | 'error' | 'sleep' | 'hog' | 'init-error' | 'print';
type Files = Record<string, CodeFile>;

/** One kind: its runtime and handler, its code per behaviour, and what its answers look like. */
interface Kind {
  name: string;
  isolation: IsolationMode;
  spec: Partial<FunctionSpec>;
  /** The code of a behaviour (with the handler it needs, when not the default). */
  code(b: Behaviour): { files: Files; handler?: string; spec?: Partial<FunctionSpec> } | undefined;
  /** The n-th answer of the echo code to `event`. */
  echo(event: unknown, n: number): unknown;
  errorType: string | RegExp;
  oomType: string | RegExp;
  initErrorType: string | RegExp;
  /** True when each call of the echo counts (synthetic functions keep no state). */
  counts: boolean;
}

const PYTHON = await machinePython();
const JAVA = await machineJavaClient();
const JAVA_FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/java/handlers/example', import.meta.url));

const node = (isolation: IsolationMode): Kind => ({
  name: `Node.js (${isolation})`,
  isolation,
  spec: { runtime: 'nodejs20.x', handler: 'index.handler' },
  code: (b) => ({
    files: {
      'index.mjs': {
        echo: 'let n = 0;\nexport const handler = async (event) => ({ echo: event, count: ++n });\n',
        error: 'export const handler = async () => { throw new TypeError("contract failure"); };\n',
        sleep: 'export const handler = async () => new Promise((r) => setTimeout(r, 60_000));\n',
        hog: 'export const handler = async () => { const hog = []; for (;;) hog.push(new Array(1e6).fill(Math.random())); };\n',
        'init-error': 'throw new Error("contract init failure");\nexport const handler = async () => 1;\n',
        print: 'export const handler = async () => { console.log("contract line"); return 1; };\n',
      }[b],
    },
  }),
  echo: (event, n) => ({ echo: event, count: n }),
  errorType: 'TypeError',
  oomType: 'Runtime.OutOfMemory',
  initErrorType: 'Error',
  counts: true,
});

const SHELL = (body: string): Files => ({
  bootstrap: {
    content: `#!/bin/sh
API="http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
H=$(mktemp)
N=0
${body}
`,
    mode: 0o755,
  },
});
const LOOP = (act: string): string => `while true; do
  EVENT=$(curl -sS -D "$H" "$API/invocation/next")
  ID=$(grep -i '^lambda-runtime-aws-request-id:' "$H" | tr -d '\\r' | cut -d' ' -f2)
  N=$((N + 1))
  ${act}
done`;

const custom: Kind = {
  name: 'custom runtime (sh + curl)',
  isolation: 'process',
  spec: { runtime: 'provided.al2023', handler: 'function.handler' },
  code: (b) => ({
    files: SHELL(
      {
        echo: LOOP(`curl -sS -o /dev/null -X POST "$API/invocation/$ID/response" -d "{\\"echo\\":$EVENT,\\"count\\":$N}"`),
        error: LOOP(`curl -sS -o /dev/null -X POST -H 'Lambda-Runtime-Function-Error-Type: Function.Failed' "$API/invocation/$ID/error" -d '{"errorMessage":"contract failure","errorType":"Function.Failed"}'`),
        sleep: LOOP('sleep 60'),
        hog: LOOP("X=$(head -c 400000000 /dev/zero | tr '\\0' a); echo ${#X}"),
        'init-error': `curl -sS -o /dev/null -X POST -H 'Lambda-Runtime-Function-Error-Type: Runtime.NoConfig' "$API/init/error" -d '{"errorMessage":"contract init failure","errorType":"Runtime.NoConfig"}'\nexit 1`,
        print: LOOP(`echo "contract line"; curl -sS -o /dev/null -X POST "$API/invocation/$ID/response" -d '1'`),
      }[b],
    ),
  }),
  echo: (event, n) => ({ echo: event, count: n }),
  errorType: 'Function.Failed',
  oomType: 'Runtime.OutOfMemory',
  initErrorType: 'Runtime.NoConfig',
  counts: true,
};

const python: Kind = {
  name: 'Python',
  isolation: 'process',
  spec: { runtime: 'python3.12', handler: 'app.handler' },
  code: (b) => ({
    files: {
      'app.py': {
        echo: 'n = 0\ndef handler(event, context):\n    global n\n    n += 1\n    return {"echo": event, "count": n}\n',
        error: 'def handler(event, context):\n    raise TypeError("contract failure")\n',
        sleep: 'import time\ndef handler(event, context):\n    time.sleep(60)\n',
        hog: 'def handler(event, context):\n    hog = []\n    while True:\n        hog.append(bytearray(8 * 1024 * 1024))\n',
        'init-error': 'raise ValueError("contract init failure")\n',
        print: 'def handler(event, context):\n    print("contract line")\n    return 1\n',
      }[b],
    },
  }),
  echo: (event, n) => ({ echo: event, count: n }),
  errorType: 'TypeError',
  oomType: 'Runtime.OutOfMemory',
  initErrorType: 'ValueError',
  counts: true,
};

/** The Java fixtures, compiled once, as a code directory's files. */
function javaClasses(): Files {
  const dir = mkdtempSync(join(tmpdir(), 'zonesim-kinds-java-'));
  try {
    const sources = readdirSync(JAVA_FIXTURES).filter((f) => f.endsWith('.java') && f !== 'UsesLib.java').map((f) => join(JAVA_FIXTURES, f));
    execFileSync(JAVA.jdk!.javac, ['--release', '17', '-nowarn', '-cp', JAVA.ricDir!, '-d', dir, ...sources], { stdio: 'pipe' });
    const files: Files = {};
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else files[relative(dir, join(d, e.name))] = readFileSync(join(d, e.name));
      }
    };
    walk(dir);
    return files;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const java = (classes: Files): Kind => ({
  name: 'Java',
  isolation: 'process',
  spec: { runtime: 'java21', memoryMb: 256 },
  code: (b) =>
    ({
      echo: { files: classes, handler: 'example.Hello' },
      error: { files: classes, handler: 'example.Thrower' },
      sleep: { files: classes, handler: 'example.Sleeper' },
      hog: { files: classes, handler: 'example.Oom' },
      'init-error': { files: classes, handler: 'example.Missing' },
      print: { files: classes, handler: 'example.Hello' },
    })[b],
  echo: (event, n) => `Hello, ${String(event)}! (call ${n})`,
  errorType: 'java.lang.IllegalStateException',
  // A full heap, or the RSS watchdog first at small sizes.
  oomType: /^(java\.lang\.OutOfMemoryError|Runtime\.OutOfMemory)$/,
  initErrorType: 'java.lang.ClassNotFoundException',
  counts: true,
});

const SYN = (d: object): Files => ({ 'synthetic.json': JSON.stringify(d) });
const synthetic: Kind = {
  name: 'synthetic',
  isolation: 'process',
  spec: { runtime: 'zonesim.synthetic', handler: 'ignored' },
  code: (b) =>
    b === 'print'
      ? undefined
      : {
          files: {
            echo: SYN({ init: { kind: 'constant', value: 5 }, duration: { kind: 'constant', value: 5 }, memory: { kind: 'constant', value: 64 } }),
            error: SYN({ init: { kind: 'constant', value: 5 }, duration: { kind: 'constant', value: 5 }, memory: { kind: 'constant', value: 64 }, errorRate: 1 }),
            sleep: SYN({ init: { kind: 'constant', value: 5 }, duration: { kind: 'constant', value: 60_000 }, memory: { kind: 'constant', value: 64 } }),
            hog: SYN({ init: { kind: 'constant', value: 5 }, duration: { kind: 'constant', value: 50 }, memory: { kind: 'constant', value: 100_000 } }),
            'init-error': {},
          }[b],
        },
  echo: (event) => ({ synthetic: true, durationMs: 5, event }),
  errorType: 'Synthetic.Error',
  oomType: 'Runtime.OutOfMemory',
  initErrorType: 'Synthetic.InvalidDefinition',
  counts: false,
};

let nextId = 0;

function harness(t: Test, kind: Kind, b: Behaviour, timeoutSec = 3): TestEnvironment | undefined {
  const code = kind.code(b);
  if (!code) return undefined;
  const spec = functionSpecFor('kinds', { specKey: `kinds:${++nextId}`, timeoutSec, ...kind.spec, ...(code.handler ? { handler: code.handler } : {}), ...code.spec });
  return testEnvironment(t, { spec, codeDir: writeCodeDir(t, code.files, 'zonesim-kinds-'), isolation: kind.isolation, defaultEvent: 'ada' });
}

const json = (r: EnvironmentInvokeResult): unknown => (r.payload ? JSON.parse(Buffer.from(r.payload).toString('utf8')) : undefined);
const report = (r: EnvironmentInvokeResult): string => r.logLines.find((l) => l.startsWith('REPORT ')) ?? '';

function contract(t: Test, kind: Kind): void {
  t.test('cold start then warm: INIT runs and is billed once, the environment keeps its state', async (t) => {
    const h = harness(t, kind, 'echo')!;
    const r1 = await h.invoke('ada');
    t.equal(r1.outcome, 'success', JSON.stringify(r1.functionError));
    t.same(json(r1), kind.echo('ada', 1));
    t.type(r1.initMs, 'number');
    t.match(report(r1), /Init Duration: [\d.]+ ms/);
    t.equal(h.env.state, 'idle');
    const r2 = await h.invoke('bob');
    t.same(json(r2), kind.echo('bob', kind.counts ? 2 : 1));
    t.equal(r2.initMs, undefined, 'warm');
    t.notMatch(report(r2), /Init Duration/);
  });

  t.test('a handled error has its type and keeps the environment', async (t) => {
    const h = harness(t, kind, 'error')!;
    const r = await h.invoke({});
    t.equal(r.outcome, 'function-error');
    t.match(r.functionError?.errorType, kind.errorType);
    t.ok(r.environmentKept);
    t.equal(h.env.state, 'idle');
  });

  t.test('past the timeout: Sandbox.Timedout, the environment discarded', async (t) => {
    const h = harness(t, kind, 'sleep', 1)!;
    const r = await h.invoke();
    t.equal(r.functionError?.errorType, 'Sandbox.Timedout');
    t.ok(r.durationMs >= 1000);
    t.match(report(r), /Status: timeout$/);
    t.notOk(r.environmentKept);
    t.equal(h.env.state, 'dead');
  });

  t.test('past the memory size: the environment discarded', async (t) => {
    const h = harness(t, kind, 'hog', 30)!;
    const r = await h.invoke();
    t.match(r.functionError?.errorType, kind.oomType, JSON.stringify(r.functionError));
    t.ok(!r.environmentKept || r.functionError?.errorType === 'java.lang.OutOfMemoryError', 'discarded (a Java heap error is posted, then the JVM halts)');
  });

  t.test('a failing INIT: INIT_REPORT, and the first invoke fails with the INIT error', async (t) => {
    const h = harness(t, kind, 'init-error')!;
    const r = await h.invoke();
    t.equal(r.outcome, 'function-error');
    t.match(r.functionError?.errorType, kind.initErrorType);
    t.ok(r.logLines.some((l) => l.startsWith('INIT_REPORT Init Duration: ')), JSON.stringify(r.logLines));
    t.notOk(r.environmentKept);
    t.equal(h.env.state, 'dead');
  });

  t.test("a printed line is the invocation's, between START and END", { skip: kind.code('print') ? false : `${kind.name} runs no code` }, async (t) => {
    const h = harness(t, kind, 'print')!;
    const r = await h.invoke();
    const start = r.logLines.findIndex((l) => l.startsWith('START '));
    const end = r.logLines.findIndex((l) => l.startsWith('END '));
    const line = r.logLines.findIndex((l) => l.includes('contract line') || l.includes('hello line'));
    t.ok(start >= 0 && start < line && line < end, JSON.stringify(r.logLines));
  });

  t.test('provisioned INIT ahead of the first invoke, which is then warm', async (t) => {
    const h = harness(t, kind, 'echo')!;
    const init = await h.env.initialize();
    t.ok(init.ok, JSON.stringify(init));
    t.equal(h.env.state, 'idle');
    const r = await h.invoke('ada');
    t.same(json(r), kind.echo('ada', 1));
    t.equal(r.initMs, undefined);
  });

  t.test('destroyed mid-invocation: Sandbox.Aborted; dead environments refuse invokes', async (t) => {
    const h = harness(t, kind, 'sleep', 30)!;
    const pending = h.invoke();
    await new Promise((r) => setTimeout(r, 300));
    await h.env.destroy('contract');
    t.equal((await pending).functionError?.errorType, 'Sandbox.Aborted');
    t.equal(h.env.state, 'dead');
    await t.rejects(h.invoke(), { code: 'ENVIRONMENT_DEAD' });
  });
}

const kinds: Array<Kind | { name: string; skip: string }> = [
  node('process'),
  node('worker'),
  custom,
  PYTHON ? python : { name: 'Python', skip: 'no python3 here' },
  JAVA.jdk && JAVA.ricDir ? java(javaClasses()) : { name: 'Java', skip: 'no JDK with javac here' },
  synthetic,
];
for (const kind of kinds) {
  if ('skip' in kind) t.test(kind.name, { skip: kind.skip }, async () => undefined);
  else {
    t.test(kind.name, async (t) => {
      // The system clock's timers do not hold the process (a zone node's sockets do): synthetic
      // environments, which are only timers, need something that does while the cases wait.
      const keep = setInterval(() => undefined, 1000);
      t.teardown(() => clearInterval(keep));
      contract(t, kind);
    });
  }
}
