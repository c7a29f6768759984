/**
 * `scripts/compare-modes.sh [--quick] [--json] [--markdown] [--out DIR] [--seed S] [SCENARIO ...]`
 * (issue 16): runs each scenario for real and in virtual time with the same seed, one after the
 * other, and prints one table: per scenario and metric, the real value, the virtual value, the
 * difference, the tolerance (scripts/lib/mode-agreement.ts, TOLERANCES) and PASS/FAIL.
 *
 * SCENARIO is a file or the name of a shipped one; by default every scenario in sim-scenarios/
 * whose functions are all synthetic and that has no trace workload (the others are listed as
 * skipped, with the reason). Results go to DIR/<scenario>/{real,virtual}/ (default: a new temporary
 * directory, removed when every row passes). Exit status: 0 when every row is within tolerance,
 * 1 when one is not, 2 on bad usage. Needs the build (`npx tsc -b`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatMarkdownTable, formatTable, knownFailures, type AgreementRow } from './lib/mode-agreement.js';
import { chooseScenarios, compareScenario, type ScenarioComparison } from './lib/mode-runs.js';

const USAGE = 'usage: scripts/compare-modes.sh [--quick] [--json] [--markdown] [--out DIR] [--seed SEED] [SCENARIO ...]\n';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        quick: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        markdown: { type: 'boolean', default: false },
        out: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const choices = await chooseScenarios(positionals);
  const chosen = choices.filter((c) => c.scenario && !c.skip);
  for (const c of choices) if (c.skip) process.stderr.write(`skipped ${c.file}: ${c.skip}\n`);
  if (chosen.length === 0) {
    process.stderr.write(`no scenario to compare\n${USAGE}`);
    return 2;
  }
  const given = values.out !== undefined;
  const outDir = given ? resolve(values.out!) : await mkdtemp(join(tmpdir(), 'zonesim-compare-modes-'));
  const ac = new AbortController();
  const onSignal = (): void => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const startedAt = new Date();
  const loadBefore = loadavg();
  const results: ScenarioComparison[] = [];
  for (const c of chosen) {
    if (ac.signal.aborted) break;
    const s = c.scenario!;
    const result = await compareScenario(s, {
      outDir: join(outDir, s.name),
      quick: values.quick,
      ...(values.seed !== undefined && { seed: values.seed }),
      signal: ac.signal,
      onRun: (name, mode) => process.stderr.write(`${name}: ${mode} run...\n`),
    });
    results.push(result);
    const failed = result.rows.filter((r) => r.status === 'FAIL').length;
    process.stderr.write(`${s.name}: real ${(result.real.wallMs / 1000).toFixed(1)} s, virtual ${(result.virtual.wallMs / 1000).toFixed(1)} s; ${failed === 0 ? 'all rows within tolerance' : `${failed} row(s) out of tolerance`}\n`);
  }
  const loadAfter = loadavg();
  const rows: AgreementRow[] = results.flatMap((r) => r.rows);
  const failed = rows.filter((r) => r.status === 'FAIL');
  const skipped = choices.filter((c) => c.skip).map((c) => ({ file: c.file, reason: c.skip! }));
  const runs = results.map((r) => ({ scenario: r.scenario, seed: r.seed, realWallMs: r.real.wallMs, virtualWallMs: r.virtual.wallMs, realDir: r.real.dir, virtualDir: r.virtual.dir }));
  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');

  if (values.json) {
    process.stdout.write(`${JSON.stringify({ startedAt: startedAt.toISOString(), quick: values.quick, loadAverage: { before: loadBefore, after: loadAfter }, rows, skipped, runs, outDir }, null, 2)}\n`);
  } else {
    process.stdout.write(`${values.markdown ? formatMarkdownTable(rows) : formatTable(rows)}\n\n`);
    const known = knownFailures(rows);
    if (known.length > 0) process.stdout.write(`FAIL*: out of tolerance for a known reason (KNOWN_DISAGREEMENTS in scripts/lib/mode-agreement.ts):\n${known.join('\n')}\n\n`);
    for (const r of runs) process.stdout.write(`${r.scenario} (seed ${r.seed}): real ${(r.realWallMs / 1000).toFixed(1)} s, virtual ${(r.virtualWallMs / 1000).toFixed(1)} s of wall time\n`);
    for (const s of skipped) process.stdout.write(`skipped ${s.file}: ${s.reason}\n`);
    process.stdout.write(`${startedAt.toISOString()}${values.quick ? ', --quick' : ''}; load average ${load(loadBefore)} before, ${load(loadAfter)} after\n`);
    process.stdout.write(`${failed.length === 0 ? 'every row within tolerance' : `${failed.length} of ${rows.length} rows out of tolerance`}\n`);
  }
  if (failed.length === 0 && !given && !ac.signal.aborted) await rm(outDir, { recursive: true, force: true });
  else process.stderr.write(`results: ${outDir}\n`);
  if (ac.signal.aborted) return 130;
  return failed.length === 0 ? 0 : 1;
}

process.exitCode = await main();
