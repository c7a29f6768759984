/**
 * `npm run bench [-- NAME ...] [--quick]`: runs the benchmarks (all of them, or those named), then
 * writes bench/results.json (merged: a benchmark not run keeps its last entry) and regenerates
 * docs/benchmarks.md from it. Never part of `npm test`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCleanups } from './lib/cleanup.js';
import { loadAverage, machineInfo } from './lib/proc.js';
import { renderMarkdown } from './lib/report.js';
import type { BenchResult, Benchmark, ResultsFile } from './lib/types.js';
import { benchmark as warmInvoke } from './warm-invoke.js';
import { benchmark as throughput } from './throughput.js';
import { benchmark as coldStart } from './cold-start.js';
import { benchmark as scale } from './scale.js';
import { benchmark as asyncPath } from './async.js';
import { benchmark as failover } from './failover.js';
import { benchmark as replay } from './replay.js';
import { benchmark as uploadStall } from './upload-stall.js';
import { benchmark as virtualTime } from './virtual.js';
import { benchmark as sweep } from './sweep.js';

/** In the order of issue 10 (its numbers are the sections of docs/benchmarks.md), then issue 15's and 16's. */
const BENCHMARKS: Benchmark[] = [warmInvoke, throughput, coldStart, failover, scale, asyncPath, replay, uploadStall, virtualTime, sweep];

const RESULTS_FILE = fileURLToPath(new URL('./results.json', import.meta.url));
const DOC_FILE = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
const NOTES_FILE = fileURLToPath(new URL('./profiling-notes.md', import.meta.url));

function writeDoc(file: ResultsFile): void {
  const notes = existsSync(NOTES_FILE) ? readFileSync(NOTES_FILE, 'utf8') : '';
  writeFileSync(DOC_FILE, renderMarkdown(file, notes));
}

function usage(): string {
  return (
    `usage: npm run bench -- [--quick] [NAME ...]\n` +
    `       npm run bench -- --render-only   (docs/benchmarks.md from bench/results.json, nothing run)\n` +
    `  NAME: ${BENCHMARKS.map((b) => b.name).join(', ')}\n`
  );
}

async function main(argv: string[]): Promise<number> {
  const quick = argv.includes('--quick');
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage());
    return 0;
  }
  if (argv.includes('--render-only')) {
    // Regenerates docs/benchmarks.md from the stored results (after editing profiling-notes.md).
    writeDoc(JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as ResultsFile);
    return 0;
  }
  const names = argv.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark: ${unknown.join(', ')}\n${usage()}`);
    return 2;
  }
  const selected = names.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => names.includes(b.name));
  const abort = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\ninterrupted: stopping what was started\n');
    abort.abort();
    void runCleanups().then(() => process.exit(130));
  });
  const log = (m: string): void => void process.stderr.write(`${m}\n`);
  const previous: ResultsFile | undefined = existsSync(RESULTS_FILE) ? (JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as ResultsFile) : undefined;
  const results = new Map<string, BenchResult>((previous?.benchmarks ?? []).map((b) => [b.name, b]));
  const load = loadAverage();
  let failures = 0;
  for (const b of selected) {
    if (abort.signal.aborted) break;
    log(`== ${b.name}${quick ? ' (quick)' : ''}`);
    const started = performance.now();
    try {
      const r = await b.run({ quick, log, signal: abort.signal });
      const seconds = (performance.now() - started) / 1000;
      results.set(b.name, {
        name: b.name,
        title: b.title,
        command: `npm run bench -- ${b.name}${quick ? ' --quick' : ''}`,
        date: new Date().toISOString(),
        quick,
        seconds: Math.round(seconds * 10) / 10,
        ...r,
      });
      log(`   done in ${seconds.toFixed(1)} s`);
    } catch (err) {
      failures++;
      log(`   FAILED: ${(err as Error).stack ?? String(err)}`);
    } finally {
      await runCleanups(log);
    }
  }
  const machine = machineInfo();
  const file: ResultsFile = {
    machine,
    node: process.version,
    date: new Date().toISOString(),
    loadAverageAtStart: load,
    benchmarks: BENCHMARKS.map((b) => results.get(b.name)).filter((r): r is BenchResult => r !== undefined),
  };
  writeFileSync(RESULTS_FILE, JSON.stringify(file, null, 2) + '\n');
  writeDoc(file);
  log(`wrote ${RESULTS_FILE} and ${DOC_FILE}`);
  return failures > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  async (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    await runCleanups();
    process.exit(1);
  },
);
