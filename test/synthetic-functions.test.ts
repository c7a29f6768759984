// Chaos-scenario issue, synthetic functions: a function created with `Runtime: zonesim.synthetic` and
// a `synthetic.json` in its zip runs on timers in the zone node (no process), and is answered,
// billed, logged and recorded like a real one; a bad definition is refused at CreateFunction.
import t from 'tap';
import { buildZip } from '@zonesim/code';
import { testCluster } from './harness/cluster.js';
import { api, deploy, invoke } from './harness/lambda.js';
import { waitFor } from './harness/processes.js';

const constant = (value: number) => ({ kind: 'constant', value });

/** Deploys a synthetic function whose package holds only `synthetic.json`. */
function deploySynthetic(apiUrl: string, name: string, definition: unknown, config: Record<string, unknown> = {}) {
  const text = typeof definition === 'string' ? definition : JSON.stringify(definition);
  return deploy(apiUrl, name, { 'synthetic.json': text }, { Runtime: 'zonesim.synthetic', Handler: 'ignored', ...config });
}

t.test('synthetic functions run without a sandbox and look like real ones', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1, zoneArgs: ['--max-environments', '500', '--memory-mb', String(500 * 128)] });
  const api1 = cluster.apiUrl;
  let invocations = 0;
  let functionErrors = 0;

  const created = await deploySynthetic(api1, 'synth', {
    init: constant(150),
    duration: { kind: 'uniform', min: 20, max: 40 },
    memory: constant(90),
  });
  t.equal(created.status, 201, created.text);
  t.equal(created.json.Runtime, 'zonesim.synthetic');

  await t.test('sync: a cold start with its INIT, then warm', async (t) => {
    const cold = await invoke(api1, 'synth', { n: 1 }, { 'x-amz-log-type': 'Tail' });
    invocations++;
    t.equal(cold.status, 200, cold.text);
    t.equal(cold.headers.get('x-amz-function-error'), null);
    t.equal(cold.json.synthetic, true);
    t.same(cold.json.event, { n: 1 }, 'a small event is echoed');
    t.equal(cold.headers.get('x-zonesim-cold'), 'true');
    t.equal(cold.headers.get('x-zonesim-init-ms'), '150.00');
    const duration = Number(cold.headers.get('x-zonesim-duration-ms'));
    t.ok(duration >= 20 && duration <= 40, `duration ${duration}`);
    t.equal(duration, Number(cold.json.durationMs.toFixed(2)), 'the body says the duration REPORT shows');
    t.equal(Number(cold.headers.get('x-zonesim-billed-ms')), Math.ceil(Number((cold.json.durationMs + 150).toFixed(3))), 'INIT is billed on a cold start');
    t.equal(cold.headers.get('x-zonesim-max-memory-used-mb'), '90');
    const tail = Buffer.from(cold.headers.get('x-amz-log-result') ?? '', 'base64').toString('utf8');
    t.match(tail, /START RequestId: \S+ Version: \$LATEST\n/);
    t.match(tail, /REPORT RequestId: \S+\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: 90 MB\tInit Duration: 150\.00 ms\t/);

    const warm = await invoke(api1, 'synth', { n: 2 });
    invocations++;
    t.equal(warm.status, 200);
    t.equal(warm.headers.get('x-zonesim-cold'), 'false');
    t.equal(warm.headers.get('x-zonesim-init-ms'), null);
    t.equal(warm.headers.get('x-zonesim-environment'), cold.headers.get('x-zonesim-environment'), 'the same environment');
  });

  await t.test('async: accepted with 202, run, and logged with START / REPORT', async (t) => {
    const accepted = await invoke(api1, 'synth', { n: 3 }, { 'x-amz-invocation-type': 'Event' });
    invocations++;
    t.equal(accepted.status, 202);
    const requestId = accepted.headers.get('x-amzn-requestid');
    t.ok(requestId);
    await waitFor(
      async () => {
        const logs = await api(api1, 'GET', '/zonesim/v1/functions/synth/logs');
        return (logs.json?.events ?? []).some((e: { message: string }) => e.message.startsWith(`REPORT RequestId: ${requestId}\t`));
      },
      10_000,
      'the async invocation to be logged',
    );
    t.pass('the async invocation ran and its REPORT line is in the log stream');
  });

  await t.test('an error rate of 1 gives X-Amz-Function-Error and keeps the environment', async (t) => {
    t.equal((await deploySynthetic(api1, 'synth-fail', { init: constant(5), duration: constant(5), memory: constant(64), errorRate: 1 })).status, 201);
    const r1 = await invoke(api1, 'synth-fail', {});
    const r2 = await invoke(api1, 'synth-fail', {});
    invocations += 2;
    functionErrors += 2;
    t.equal(r1.status, 200, 'function errors are HTTP 200');
    t.equal(r1.headers.get('x-amz-function-error'), 'Unhandled');
    t.equal(r1.json.errorType, 'Synthetic.Error');
    t.equal(r2.headers.get('x-zonesim-cold'), 'false', 'a handled error keeps the environment');
  });

  await t.test('memory above MemorySize is Runtime.OutOfMemory', async (t) => {
    t.equal((await deploySynthetic(api1, 'synth-oom', { init: constant(5), duration: constant(40), memory: constant(512) }, { MemorySize: 128 })).status, 201);
    const r = await invoke(api1, 'synth-oom', {});
    invocations++;
    functionErrors++;
    t.equal(r.headers.get('x-amz-function-error'), 'Unhandled');
    t.equal(r.json.errorType, 'Runtime.OutOfMemory');
    t.equal(r.headers.get('x-zonesim-max-memory-used-mb'), '128');
  });

  await t.test('a bad synthetic.json is InvalidParameterValueException naming the field', async (t) => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['bad-p99', { init: constant(1), duration: { kind: 'lognormal', median: 10, p99: 5 }, memory: constant(64) }, /synthetic\.json: duration\.p99: /],
      ['bad-rate', { init: constant(1), duration: constant(1), memory: constant(64), errorRate: 2 }, /synthetic\.json: errorRate: /],
      ['no-memory', { init: constant(1), duration: constant(1) }, /synthetic\.json: memory: is required/],
      ['not-json', '{ "init": ', /synthetic\.json: \(root\): is not valid JSON/],
    ];
    for (const [name, definition, message] of cases) {
      const r = await deploySynthetic(api1, name, definition);
      t.equal(r.status, 400, name);
      t.equal(r.errorType, 'InvalidParameterValueException', name);
      t.match(r.json.message ?? r.json.Message, message, name);
    }
    const missing = await deploy(api1, 'no-definition', { 'index.mjs': 'export const handler = async () => 1;' }, { Runtime: 'zonesim.synthetic' });
    t.equal(missing.status, 400);
    t.match(missing.json.message ?? missing.json.Message, /needs a synthetic\.json/);
    const listed = await api(api1, 'GET', '/2015-03-31/functions');
    t.notOk(listed.json.Functions.some((f: { FunctionName: string }) => f.FunctionName === 'bad-p99'), 'nothing was created');

    const zip = await buildZip({ 'synthetic.json': '{"init":{"kind":"constant","value":1},"duration":{"kind":"uniform","min":5,"max":1},"memory":{"kind":"constant","value":64}}' });
    const update = await api(api1, 'PUT', '/2015-03-31/functions/synth/code', { ZipFile: Buffer.from(zip).toString('base64') });
    t.equal(update.status, 400, 'UpdateFunctionCode checks the definition too');
    t.match(update.json.message ?? update.json.Message, /synthetic\.json: duration\.max: /);
  });

  await t.test('200 concurrent invocations all succeed', async (t) => {
    t.equal((await deploySynthetic(api1, 'synth-many', { init: constant(50), duration: constant(300), memory: constant(64) })).status, 201);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => invoke(api1, 'synth-many', { i })));
    invocations += 200;
    t.equal(results.filter((r) => r.status === 200 && r.headers.get('x-amz-function-error') === null).length, 200, 'all 200 succeeded');
    t.same(results.map((r) => r.json.event?.i), Array.from({ length: 200 }, (_, i) => i), 'each got its own answer');
    const environments = new Set(results.map((r) => r.headers.get('x-zonesim-environment')));
    t.ok(environments.size > 50, `${environments.size} environments ran them side by side`);
  });

  // Synthetic invocations are ledger records like any other: one per attempt, with their outcome.
  let stats: any;
  await waitFor(async () => {
    stats = (await api(api1, 'GET', '/zonesim/v1/stats')).json;
    return stats.invocations.records >= invocations;
  }, 10_000, 'the ledger to record every invocation');
  t.equal(stats.invocations.records, invocations, 'one record per invocation');
  t.equal(stats.invocations.byOutcome['function-error'], functionErrors);
  t.equal(stats.invocations.byOutcome.success, invocations - functionErrors);
});
