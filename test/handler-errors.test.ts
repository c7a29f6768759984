// Issue 2, must show: timeout, throw, rejected promise, memory blow-up, process.exit, syntax error
// and missing handler each give Lambda's error type, and the zone node keeps serving afterwards.
import t from 'tap';
import { testCluster } from './harness/cluster.js';
import { deploy, invoke } from './harness/lambda.js';

interface Case {
  name: string;
  files: Record<string, string>;
  config?: Record<string, unknown>;
  errorType: string;
  message?: RegExp;
  /** True when Lambda keeps the environment after this error. */
  kept: boolean;
}

const CASES: Case[] = [
  {
    name: 'throws',
    files: { 'index.js': `exports.handler = async () => { throw new TypeError('bad input'); };` },
    errorType: 'TypeError',
    message: /^bad input$/,
    kept: true,
  },
  {
    name: 'rejects',
    files: { 'index.mjs': `export const handler = () => Promise.reject(new RangeError('out of range'));` },
    errorType: 'RangeError',
    kept: true,
  },
  {
    name: 'times-out',
    files: { 'index.mjs': `export const handler = () => new Promise((resolve) => setTimeout(resolve, 60_000));` },
    config: { Timeout: 1 },
    errorType: 'Sandbox.Timedout',
    message: /^RequestId: \S+ Error: Task timed out after 1\.\d\d seconds$/,
    kept: false,
  },
  {
    name: 'spins',
    files: { 'index.mjs': `export const handler = () => { for (;;) {} };` },
    config: { Timeout: 1 },
    errorType: 'Sandbox.Timedout',
    kept: false,
  },
  {
    name: 'blows-memory',
    files: { 'index.mjs': `export const handler = () => { const keep = []; for (;;) keep.push(new Array(1e5).fill(Math.random())); };` },
    config: { MemorySize: 128, Timeout: 30 },
    errorType: 'Runtime.OutOfMemory',
    kept: false,
  },
  {
    name: 'exits',
    files: { 'index.mjs': `export const handler = () => { process.exit(3); };` },
    errorType: 'Runtime.ExitError',
    message: /exit status 3/,
    kept: false,
  },
  {
    name: 'syntax-error',
    files: { 'index.mjs': `export const handler = async () => { return {; };` },
    errorType: 'Runtime.UserCodeSyntaxError',
    kept: false,
  },
  {
    name: 'no-handler',
    files: { 'index.mjs': `export const other = async () => 1;` },
    errorType: 'Runtime.HandlerNotFound',
    message: /index\.handler is undefined or not exported/,
    kept: false,
  },
  {
    name: 'no-module',
    files: { 'main.mjs': `export const handler = async () => 1;` },
    errorType: 'Runtime.ImportModuleError',
    kept: false,
  },
  {
    name: 'missing-dependency',
    files: { 'index.mjs': `import x from 'not-installed'; export const handler = async () => x;` },
    errorType: 'Runtime.ImportModuleError',
    kept: false,
  },
];

const HEALTHY = { 'index.mjs': `let n = 0; export const handler = async (e) => ({ ok: true, n: ++n, echo: e });` };

t.test('each handler failure gives its Lambda error and the node keeps serving', async (t) => {
  // One zone, one node: every case runs on the same zone node, which must survive them all.
  const cluster = await testCluster(t, { zoneCount: 1, zoneArgs: ['--memory-mb', '4096', '--max-environments', '8'] });
  t.equal((await deploy(cluster.apiUrl, 'healthy', HEALTHY)).status, 201);
  const warmup = await invoke(cluster.apiUrl, 'healthy', { i: 0 });
  t.equal(warmup.json.ok, true);
  const healthyEnv = warmup.headers.get('x-zonesim-environment');

  for (const c of CASES) {
    await t.test(c.name, async (t) => {
      const created = await deploy(cluster.apiUrl, c.name, c.files, c.config ?? {});
      t.equal(created.status, 201, created.text);
      const res = await invoke(cluster.apiUrl, c.name, { case: c.name });
      t.equal(res.status, 200, 'function errors are HTTP 200');
      t.equal(res.headers.get('x-amz-function-error'), 'Unhandled');
      t.equal(res.json.errorType, c.errorType, JSON.stringify(res.json));
      t.type(res.json.errorMessage, 'string');
      if (c.message) t.match(res.json.errorMessage, c.message);
      // After the failure the same node still runs invocations, and the healthy warm environment
      // was not harmed by the bad one.
      const after = await invoke(cluster.apiUrl, 'healthy', { after: c.name });
      t.equal(after.json.ok, true, `node still serves after ${c.name}`);
      t.equal(after.headers.get('x-zonesim-environment'), healthyEnv, 'the other environment survived');
      // Whether the environment was kept shows on the next invoke of the same function.
      const again = await invoke(cluster.apiUrl, c.name, { again: true });
      t.equal(again.headers.get('x-zonesim-cold'), c.kept ? 'false' : 'true', c.kept ? 'environment kept' : 'environment discarded');
    });
  }
  const thrown = await invoke(cluster.apiUrl, 'throws', {});
  t.ok(Array.isArray(thrown.json.trace), 'Node errors carry trace, not stackTrace');
  t.match(thrown.json.trace[0], /^TypeError: bad input/);
});
