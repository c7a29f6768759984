/**
 * Issue 8's measurement: should the Node.js runtime go through the Lambda Runtime API (HTTP on
 * loopback, as AWS's own runtime interface client does) or stay on the direct IPC channel? One
 * environment of each kind runs the same no-op handler; a few thousand warm invocations are timed
 * at the environment boundary (`environment.invoke()`, what the zone node waits for), sequentially.
 *
 *   node --import=tsx bench/runtime-api-path.ts [invocations=3000]
 *
 * The Runtime API side is a minimal Node runtime client written as a custom runtime `bootstrap`
 * (GET next, call the handler, POST response, over one keep-alive connection), i.e. the cheapest
 * form the Node runtime could take under the Runtime API. Not part of `npm run bench`.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FunctionSpec } from '@zonesim/protocol';
import { createEnvironmentFactory } from '../packages/zone-node/src/environment/index.js';
import type { ExecutionEnvironment } from '../packages/zone-node/src/environment/types.js';

const N = Number(process.argv[2] ?? 3000);
const WARMUP = 200;

const CLIENT = `#!/usr/bin/env node
import http from 'node:http';
const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const handler = async (event) => ({ ok: true });
function call(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path: '/2018-06-01/runtime' + path, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
for (;;) {
  const next = await call('GET', '/invocation/next');
  const id = next.headers['lambda-runtime-aws-request-id'];
  const result = await handler(JSON.parse(next.body));
  await call('POST', '/invocation/' + id + '/response', JSON.stringify(result));
}
`;

function spec(runtime: string): FunctionSpec {
  return {
    specKey: `bench:${runtime}`,
    functionName: 'bench',
    version: '$LATEST',
    functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench',
    codeSha256Hex: 'c'.repeat(64),
    handler: 'index.handler',
    runtime,
    memoryMb: 512,
    timeoutSec: 30,
    architecture: 'x86_64',
    environment: {},
    region: 'us-east-1',
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(env: ExecutionEnvironment): Promise<{ p50: number; p99: number; mean: number; perSecond: number }> {
  const times: number[] = [];
  const payload = Buffer.from('{}');
  const t0 = performance.now();
  for (let i = 0; i < WARMUP + N; i++) {
    const s = performance.now();
    const r = await env.invoke({ requestId: `r-${i}`, payload, invokedFunctionArn: env.config.spec.functionArn });
    if (r.outcome !== 'success') throw new Error(`invoke failed: ${JSON.stringify(r.functionError)}`);
    if (i >= WARMUP) times.push(performance.now() - s);
  }
  const total = performance.now() - t0;
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), mean: times.reduce((a, b) => a + b, 0) / times.length, perSecond: ((WARMUP + N) / total) * 1000 };
}

const dir = mkdtempSync(join(tmpdir(), 'zonesim-rapi-bench-'));
try {
  writeFileSync(join(dir, 'index.mjs'), 'export const handler = async () => ({ ok: true });\n');
  writeFileSync(join(dir, 'bootstrap'), CLIENT.replace("#!/usr/bin/env node", `#!${process.execPath}`));
  // The bootstrap is an ES module only by its imports: name it so for node.
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  chmodSync(join(dir, 'bootstrap'), 0o755);
  const factory = createEnvironmentFactory('process');
  const base = { codeDir: dir, logStreamName: '2026/01/01/[$LATEST]00000000000000000000000000000000', initializationType: 'on-demand' as const };
  const direct = factory.create({ ...base, environmentId: 'direct', spec: spec('nodejs20.x') });
  const viaApi = factory.create({ ...base, environmentId: 'runtime-api', spec: spec('provided.al2023') });
  const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
  // Alternate, twice each, so neither path gets a quieter machine.
  for (const round of [1, 2]) {
    for (const [name, env] of [['direct (IPC)', direct], ['Runtime API (HTTP)', viaApi]] as const) {
      const r = await measure(env);
      results[`${name} #${round}`] = r;
    }
  }
  console.log(`warm no-op invocations at the environment boundary, ${N} each (after ${WARMUP} warm-up), sequential`);
  for (const [name, r] of Object.entries(results)) {
    console.log(`${name.padEnd(24)} p50 ${r.p50.toFixed(3)} ms  p99 ${r.p99.toFixed(3)} ms  mean ${r.mean.toFixed(3)} ms  ${r.perSecond.toFixed(0)}/s`);
  }
  await Promise.all([direct.destroy('done'), viaApi.destroy('done')]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
