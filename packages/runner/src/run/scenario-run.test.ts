import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { LifecycleState } from '@zonesim/common';
import { arrivals, parseScenario, type FaultRecord, type HistoryOp, type ResolvedScenario, type RunInfo, type ZoneTransition } from '@zonesim/scenario';
import { PumpedClock, FakeWorld } from '../test-util/fake-world.js';
import { ScenarioRun } from './scenario-run.js';

const SCENARIO = `
name: fake-power-loss
seed: 5
duration: 4s
cooldown: 3s
cluster: { zones: 3 }
functions:
  - name: api
    synthetic: { duration: { kind: constant, value: 5 } }
workload:
  - function: api
    arrival: { constant: { rate: 20 } }
faults:
  - id: power-loss
    action: kill
    target: { zone: az-b }
    at: 1s
    restartAfter: 2s
hypotheses:
  - id: steady
    successRate: { min: 0.99 }
  - id: detected
    detection: { max: 500ms }
`;

/** The pumped clock moves this much per real millisecond. */
const STEP_MS = 10;

async function setup(t: Test, text = SCENARIO): Promise<{ scenario: ResolvedScenario; clock: PumpedClock; world: FakeWorld; outDir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-runner-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const loaded = await parseScenario(text, { file: join(dir, 'scenario.yaml'), baseDir: dir });
  if (!loaded.scenario) throw new Error(JSON.stringify(loaded.errors));
  const clock = new PumpedClock();
  clock.start(STEP_MS);
  t.teardown(() => clock.stop());
  return { scenario: loaded.scenario, clock, world: new FakeWorld(loaded.scenario, clock), outDir: join(dir, 'out') };
}

/** Progress and event lines go nowhere (a run prints fault events even when quiet, as `zonesim run --quiet` does). */
const log = new Writable({ write: (_chunk, _encoding, done) => done() }) as unknown as NodeJS.WriteStream;

const lines = <T>(file: string): T[] => readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);

t.test('a run over a fake world reads every time from the world clock: arrivals, faults and detection fall on the virtual timeline', async (t) => {
  const { scenario, clock, world, outDir } = await setup(t);
  const epoch0 = clock.now();
  const run = new ScenarioRun(scenario, { world }, { outDir, quiet: true, log });
  t.equal(run.state, LifecycleState.Idle);
  const result = await run.runUntil();
  t.equal(run.state, LifecycleState.Stopped);
  t.equal(result.verdict.status, 'pass', result.text);
  t.equal(result.aborted, false);

  const info = JSON.parse(readFileSync(join(outDir, 'run.json'), 'utf8')) as RunInfo;
  // The manual clock starts in 2023; the machine's clock says otherwise. Nothing came from Date.now.
  t.ok(info.t0 > epoch0 && info.endAt! <= clock.now() && info.endAt! < Date.now() - 365 * 86_400_000, 'run.json times are the world clock\'s');
  const history = lines<HistoryOp>(join(outDir, 'history.ndjson'));
  const schedule = [];
  for await (const a of arrivals(scenario)) schedule.push(a);
  t.equal(history.length, schedule.length, 'every arrival was sent');
  const bySeq = new Map(history.map((op) => [op.seq, op]));
  for (const a of schedule) {
    const op = bySeq.get(a.seq)!;
    if (op.intendedAt !== info.t0 + a.atMs || op.sentAt < op.intendedAt || op.sentAt - op.intendedAt > STEP_MS) {
      t.fail(`arrival ${a.seq}: intended ${op.intendedAt - info.t0} ms (schedule ${a.atMs}), sent ${op.sentAt - op.intendedAt} ms late`);
      break;
    }
  }
  t.ok(history.every((op) => op.result === 'ok' && op.endedAt >= op.sentAt), 'every invocation answered');

  const faults = lines<FaultRecord>(join(outDir, 'faults.ndjson'));
  t.equal(faults.length, 2, 'applied, then healed');
  t.equal(faults[0]!.startAt, info.t0 + 1000, 'applied at t0 + 1 s on the world clock');
  t.ok(faults[1]!.endAt! >= info.t0 + 3000 && faults[1]!.endAt! <= info.t0 + 3000 + 5 * STEP_MS, `healed at t0 + ${faults[1]!.endAt! - info.t0} ms`);
  const calls = world.platform.calls.filter((c) => !c.startsWith('GET /zonesim/v1/zones'));
  t.same(
    calls.filter((c) => /^(world|kill|restart|POST \/zonesim\/v1\/faults|DELETE \/zonesim\/v1\/faults)/.test(c)),
    ['world start', 'POST /zonesim/v1/faults', 'kill az-b-node-1', 'restart az-b-node-1', 'DELETE /zonesim/v1/faults/power-loss', 'world stop', 'world collect'],
    'the fault went through the actuator and the admin API, in order, inside the world\'s lifecycle',
  );
  t.equal(world.platform.windows.size, 0, 'the fault window is closed');

  const zones = lines<ZoneTransition>(join(outDir, 'zones.ndjson'));
  const down = zones.find((z) => z.zone === 'az-b' && z.nodeId === undefined && z.health === 'down');
  t.ok(down && down.t - faults[0]!.startAt <= 50 + 2 * STEP_MS, `the watcher saw az-b down ${down ? down.t - faults[0]!.startAt : '?'} ms after the kill (one 50 ms poll)`);
  t.ok(zones.some((z) => z.zone === 'az-b' && z.nodeId === undefined && z.health === 'healthy' && z.t > down!.t), 'and back');
  t.match(result.check.detection, [{ faultId: 'power-loss', zone: 'az-b' }]);
  t.ok(readFileSync(join(outDir, 'verdict.json'), 'utf8').includes('"status": "pass"'));
  t.ok(readFileSync(join(outDir, 'async-final.json'), 'utf8').includes('"deadLetters":[]'), 'the final async state was read through the admin client');

  await run.stop();
  t.equal(run.state, LifecycleState.Stopped, 'stop twice is safe');
});

t.test('stop() mid-run ends the load, heals what is applied, closes the files and stops the world', async (t) => {
  const { scenario, clock, world, outDir } = await setup(t, SCENARIO.replace('duration: 4s', 'duration: 60s').replace('restartAfter: 2s', 'restartAfter: 50s'));
  const run = new ScenarioRun(scenario, { world }, { outDir, quiet: true, log });
  await run.start();
  t.equal(run.state, LifecycleState.Running);
  await t.rejects(run.start(), { code: 'RUNNER_RUN_STATE' }, 'a run starts once');
  await t.rejects(run.result(), { code: 'RUNNER_RUN_STATE' }, 'a run is judged once stopped');
  // Let the kill happen (t0 + 1 s), then stop long before the scenario's end.
  while (!world.platform.calls.includes('kill az-b-node-1')) await new Promise((r) => setTimeout(r, 5));
  const stoppedAt = clock.now();
  await run.stop();
  t.equal(run.state, LifecycleState.Stopped);
  t.ok(clock.now() - stoppedAt < 10_000, 'the run did not wait for its 60 s');
  t.ok(world.platform.calls.includes('restart az-b-node-1'), 'the killed node was restarted by the heal');
  t.equal(world.platform.calls.at(-1), 'world stop');
  const faults = lines<FaultRecord>(join(outDir, 'faults.ndjson'));
  t.ok(faults[1]?.endAt, 'the heal is in faults.ndjson (the file was closed)');
  const result = await run.result();
  t.equal(result.aborted, false, 'stopped by its owner, not by an outer signal');
});

t.test('runUntil(signal): an outer abort ends the run early and the result says so', async (t) => {
  const { scenario, world, outDir } = await setup(t, SCENARIO.replace('duration: 4s', 'duration: 60s'));
  const run = new ScenarioRun(scenario, { world }, { outDir, quiet: true, log });
  const abort = new AbortController();
  const done = run.runUntil(abort.signal);
  while (run.state !== LifecycleState.Running) await new Promise((r) => setTimeout(r, 5));
  abort.abort(new Error('Ctrl-C'));
  const result = await done;
  t.equal(result.aborted, true);
  t.ok(world.platform.calls.includes('world stop'));
});

t.test('a stop that hangs past its grace destroys the world', async (t) => {
  const { scenario, world, outDir } = await setup(t);
  // The coordinator never answers the end of the fault window.
  let release: () => void = () => undefined;
  world.platform.routes.push((req) => (req.method === 'DELETE' ? new Promise<undefined>((r) => (release = () => r(undefined))) : undefined));
  const run = new ScenarioRun(scenario, { world }, { outDir, quiet: true, log, stopGraceMs: 2_000 });
  await run.start();
  while (!world.platform.calls.includes('kill az-b-node-1')) await new Promise((r) => setTimeout(r, 5));
  const stopping = run.stop();
  while (!world.destroyed) await new Promise((r) => setTimeout(r, 5));
  t.pass('destroyed after the grace');
  release();
  await stopping;
  t.equal(run.state, LifecycleState.Stopped);
});

t.test('a deploy that fails stops the world and the error reaches the caller', async (t) => {
  const { scenario, world, outDir } = await setup(t);
  world.platform.routes.push((req) => (req.path === '/2015-03-31/functions' ? { status: 500, body: { message: 'no' }, headers: { 'x-amzn-errortype': 'ServiceException' } } : undefined));
  const run = new ScenarioRun(scenario, { world }, { outDir, quiet: true, log });
  await t.rejects(run.runUntil(), /CreateFunction api failed: HTTP 500/);
  t.equal(run.state, LifecycleState.Stopped);
  t.same(world.platform.calls.filter((c) => c.startsWith('world')), ['world start', 'world stop']);
});
