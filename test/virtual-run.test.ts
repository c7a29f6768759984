// Issue 16: `zonesim run --virtual`. A scenario with every fault kind runs twice with the same seed
// and writes byte-identical history and ledger (same digest); another seed gives another digest. A
// scenario with handler code is refused before anything starts, naming the function and calibrate.
// Frames travel as values by default; sent as bytes instead, the run is the same.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadScenarioOrThrow } from '@zonesim/scenario';
import { frameWireBytes, msgpackCodec, valueCodec, type Codec } from '@zonesim/protocol';
import { runVirtualScenario } from '@zonesim/runner/virtual';
import { runZonesim } from './harness/cli.js';

const EVERY_FAULT = join(import.meta.dirname, 'fixtures', 'virtual', 'every-fault.yaml');

t.test('every fault kind in virtual time: same seed, same digest; another seed, another digest', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-virtual-run-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const scenario = await loadScenarioOrThrow(EVERY_FAULT);
  const first = await runVirtualScenario(scenario, { outDir: join(dir, 'a'), quiet: true });
  // The second run sends encoded frames, as the real mode does, instead of frozen values, and checks
  // on every frame that a value frame would have taken the same bytes on the line: same digest.
  const sizeMismatches: string[] = [];
  let framesEncoded = 0;
  const encodedFrames: Codec = {
    encode(message) {
      const bytes = msgpackCodec.encode(message);
      framesEncoded++;
      const asValue = frameWireBytes(valueCodec.encode(msgpackCodec.decode(bytes)));
      if (asValue !== bytes.byteLength) sizeMismatches.push(`${(message as { type: string }).type}: ${asValue} != ${bytes.byteLength}`);
      return bytes;
    },
    decode: (frame) => msgpackCodec.decode(frame),
  };
  const second = await runVirtualScenario(scenario, { outDir: join(dir, 'b'), quiet: true, linkCodec: encodedFrames });
  t.ok(framesEncoded > 1000, `${framesEncoded} frames encoded`);
  t.same(sizeMismatches.slice(0, 5), [], 'every value frame takes the length of its encoding on the line');
  const other = await runVirtualScenario({ ...scenario, seed: 43 }, { outDir: join(dir, 'c'), quiet: true });
  t.match(first.digest, /^[0-9a-f]{64}$/);
  t.equal(second.digest, first.digest, 'the same file and seed give the same digest (frames as values or as bytes)');
  t.equal(await readFile(join(dir, 'b', 'history.ndjson'), 'utf8'), await readFile(join(dir, 'a', 'history.ndjson'), 'utf8'), 'history byte-identical');
  t.not(other.digest, first.digest, 'another seed gives another digest');
  const faults = (await readFile(join(dir, 'a', 'faults.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { id?: string; fault?: string; event?: string });
  const applied = new Set(faults.map((f) => f.id ?? f.fault));
  for (const id of ['kill', 'pause', 'partition', 'disconnect', 'latency', 'loss', 'bandwidth', 'gray', 'brownout', 'restart']) t.ok(applied.has(id), `fault ${id} acted`);
  const info = JSON.parse(await readFile(join(dir, 'a', 'run.json'), 'utf8')) as { mode?: string; wall?: { speedup: number } };
  t.equal(info.mode, 'virtual', 'run.json says mode: virtual');
  t.ok(info.wall && info.wall.speedup > 0, 'and how long it took in wall time');
  t.equal(first.check.events.lost, 0, 'no accepted event lost across the coordinator restart');
  t.equal(first.verdict.status, 'pass', first.text);
});

t.test('a scenario with handler code is refused with --virtual before anything starts', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-virtual-refuse-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const r = await runZonesim(['run', join(import.meta.dirname, 'fixtures', 'virtual', 'code-function.yaml'), '--virtual', '--out', join(dir, 'out')]);
  t.equal(r.code, 2, 'exit 2');
  t.match(r.stderr, /function hello has handler code; virtual time runs synthetic functions only/);
  t.match(r.stderr, /zonesim calibrate RESULTS_DIR/);
  t.notOk(await readFile(join(dir, 'out', 'run.json'), 'utf8').catch(() => undefined), 'nothing started: no results written');
});

t.test('a sampled ledger in virtual time: a tenth of the records written, totals exact, nothing counted lost', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-virtual-sampled-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const scenario = await loadScenarioOrThrow(join(import.meta.dirname, 'fixtures', 'virtual', 'sampled-ledger.yaml'));
  t.equal(scenario.cluster.ledger, 'sampled:0.1');
  const r = await runVirtualScenario(scenario, { outDir: join(dir, 'out'), quiet: true });
  const records = (await readFile(join(dir, 'out', 'ledger', 'ledger-000001.ndjson'), 'utf8')).trim().split('\n').length;
  const attempts = r.check.ops.total;
  t.ok(records > 0 && records < attempts / 4, `${records} records written for about ${attempts} attempts`);
  const summary = JSON.parse(await readFile(join(dir, 'out', 'report', 'summary.json'), 'utf8')) as {
    counts: { attempts: number; byInvocationType: Record<string, number> };
    input: { detail: { level: string; exact: boolean; recordsWritten: number } };
  };
  t.equal(summary.input.detail.level, 'sampled');
  t.ok(summary.input.detail.exact, 'the report says its totals are exact');
  const eventAttempts = summary.counts.byInvocationType['Event'] ?? 0;
  // Every accepted event's attempts (a few retried after the zone's loss), not only the written tenth.
  t.ok(eventAttempts >= r.check.events.accepted && eventAttempts <= r.check.events.accepted + 20, `the report counts ${eventAttempts} async attempts for ${r.check.events.accepted} events`);
  t.equal(summary.input.detail.recordsWritten, records);
  t.equal(r.check.events.lost, 0, 'no accepted event counted lost');
  t.equal(r.check.events.delivered, r.check.events.accepted, 'every accepted event delivered by the store\'s account');
  t.match(r.check.anomalies.join('\n'), /the ledger is sampled:0.1: \d+ accepted events have no record/);
  t.equal(r.verdict.status, 'pass', r.text);
});

t.test('cluster.ledger is checked by the ledger\'s own rules', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-virtual-ledger-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const text = (await readFile(join(import.meta.dirname, 'fixtures', 'virtual', 'sampled-ledger.yaml'), 'utf8')).replace('sampled:0.1', 'sampled:1.5');
  await writeFile(join(dir, 'bad.yaml'), text);
  await t.rejects(loadScenarioOrThrow(join(dir, 'bad.yaml')), /cluster\.ledger/);
});
