import t from 'tap';
import { parseScenario } from './load-scenario.js';
import { scaleScenarioTime } from './scale-time.js';
import { faultSchedule } from './fault-schedule.js';
import { openArrivals } from './arrivals.js';

const YAML = `
name: scaled
duration: 20s
warmup: 2s
cooldown: 10s
functions:
  - name: f
    synthetic: { duration: { kind: constant, value: 5 } }
workload:
  - function: f
    arrival: { constant: { rate: 10 } }
  - function: f
    arrival: { bursts: { base: 0, burst: 20, every: 8s, length: 2s, offset: 2s, process: even } }
faults:
  - id: k
    action: kill
    target: { zone: az-a }
    at: 8s
    restartAfter: 6s
  - id: p
    action: pause
    target: { zone: az-b }
    after: k
    delay: 2s
    duration: 2s
hypotheses:
  - detection: { max: 1500ms }
`;

t.test('--quick halves the timeline and keeps rates and thresholds', async (t) => {
  const loaded = await parseScenario(YAML, { file: '/x/scaled.yaml', baseDir: '/x' });
  t.same(loaded.errors, []);
  const s = loaded.scenario!;
  const q = scaleScenarioTime(s, 0.5);
  t.equal(q.durationMs, 10_000);
  t.equal(q.warmupMs, 1_000);
  t.equal(q.runEndMs, s.runEndMs / 2);
  const faults = faultSchedule(q);
  t.same(faults.map((f) => [f.id, f.startMs, f.endMs]), [['k', 4_000, 7_000], ['p', 8_000, 9_000]]);
  t.same(faults[0]!.params, { action: 'kill', restartAfterMs: 3_000 });
  t.same(q.hypotheses, s.hypotheses, 'thresholds are physical: unchanged');
  let constant = 0;
  for (const a of await openArrivals(q)) if (a.workload === 0) constant++;
  t.equal(constant, 100, 'the same rate over half the time: half the arrivals');
  t.equal(scaleScenarioTime(s, 1), s);
  t.throws(() => scaleScenarioTime(s, 0));
});
