// Rebuilds the figures of docs/research.md, each with one command from a clean checkout:
//   npm run figure -- NAME [NAME ...]   e.g. npm run figure -- gray-detectionGapMs
//   npm run figure -- --all             every figure (each study's sweep runs once)
//   npm run figure -- --list            the figures and the sweep behind each
//   add --reuse to draw from a study already in results/<study>/ instead of sweeping again
// A figure is a chart of its study's study.html (scripts/study-figure.ts), written to
// docs/figures/NAME.png; the sweep is the one docs/research.md gives for the study, into
// results/<study>/. `npm run figure` first installs Chromium from Debian when it is missing
// (scripts/install-test-deps.sh) and builds the packages.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderStudyFigure } from './study-figure.js';

interface Study {
  /** The study's file in sim-scenarios/research/. */
  file: string;
  /** `zonesim sweep` arguments besides the file and --out, as docs/research.md gives them. */
  sweep: string[];
  /** Figure name (docs/figures/NAME.png) -> the chart of study.html it shows. */
  figures: Record<string, { metric: string; xAxis?: string }>;
}

const STUDIES: Record<string, Study> = {
  metastable: {
    file: 'metastable-retry-storm.yaml',
    sweep: ['--set', 'workload[0].arrival.poisson.rate=120,150,180,210', '--set', 'workload[0].client.budget.ratio=10,0.1', '--seeds', '5'],
    figures: {
      'metastable-goodputPerSecond': { metric: 'goodputPerSecond' },
      'metastable-afterSuccessRate': { metric: 'afterSuccessRate' },
      'metastable-callsPerOperation': { metric: 'callsPerOperation' },
    },
  },
  'blast-radius': {
    file: 'blast-radius.yaml',
    sweep: ['--set', 'cluster.placement=spread,shuffle-shard', '--seeds', '5'],
    figures: {
      'blast-radius-blastRadius': { metric: 'blastRadius' },
      'blast-radius-blastRadiusTenants': { metric: 'blastRadiusTenants' },
    },
  },
  'gray-failure-detection': {
    file: 'gray-failure-detection.yaml',
    sweep: ['--set', 'cluster.detector=heartbeat,work-aware', '--set', 'faults[0].failRate=0.1,0.3,1', '--seeds', '5'],
    figures: {
      'gray-detectionGapMs': { metric: 'detectionGapMs' },
      'gray-failed': { metric: 'failed' },
    },
  },
  'cold-start-storm-failover': {
    file: 'cold-start-storm-failover.yaml',
    sweep: ['--set', 'cluster.headroom=0,0.25,0.5', '--set', 'cluster.scalingRate=30,100', '--seeds', '5'],
    figures: {
      'headroom-throttles': { metric: 'throttles' },
      'headroom-idleMemoryGbSeconds': { metric: 'idleMemoryGbSeconds' },
      'headroom-coldStarts': { metric: 'coldStarts' },
    },
  },
  'keep-alive': {
    file: 'keep-alive.yaml',
    sweep: ['--set', 'cluster.node.keepAlivePolicy=fixed,hybrid-histogram', '--set', 'cluster.node.keepAlive=5m,10m,20m,30m,60m', '--seeds', '3'],
    figures: {
      'keep-alive-tradeoff': { metric: 'tradeoff' },
      'keep-alive-coldStarts': { metric: 'coldStarts' },
    },
  },
  'host-failures': {
    file: 'host-failures.yaml',
    sweep: ['--set', 'failures[0].preset=websites02-exponential,nd07cpu-weibull', '--set', 'cluster.heartbeat=200ms,1s', '--seeds', '2'],
    figures: {
      'host-failures-detectionMs': { metric: 'detectionMs' },
      'host-failures-nines': { metric: 'nines' },
    },
  },
};

const ROOT = resolve(import.meta.dirname, '..');

/** The study a figure belongs to. */
function studyOf(figure: string): [string, Study] | undefined {
  return Object.entries(STUDIES).find(([, s]) => figure in s.figures);
}

function sweepCommand(name: string, study: Study): string[] {
  return ['sweep', join('sim-scenarios', 'research', study.file), ...study.sweep, '--out', join('results', name)];
}

function list(): void {
  for (const [name, study] of Object.entries(STUDIES)) {
    process.stdout.write(`${name}: npx zonesim ${sweepCommand(name, study).join(' ')}\n`);
    for (const [figure, f] of Object.entries(study.figures)) process.stdout.write(`  ${figure}  (${f.metric})\n`);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const reuse = args.includes('--reuse');
  if (args.includes('--list')) return list();
  const wanted = args.includes('--all') ? Object.values(STUDIES).flatMap((s) => Object.keys(s.figures)) : args.filter((a) => !a.startsWith('--'));
  if (wanted.length === 0) throw new Error('usage: npm run figure -- NAME [NAME ...] | --all | --list  [--reuse]');
  const unknown = wanted.filter((f) => !studyOf(f));
  if (unknown.length > 0) throw new Error(`unknown figure ${unknown.join(', ')}; figures: ${Object.values(STUDIES).flatMap((s) => Object.keys(s.figures)).join(', ')}`);
  const byStudy = new Map<string, string[]>();
  for (const figure of wanted) {
    const [name] = studyOf(figure)!;
    byStudy.set(name, [...(byStudy.get(name) ?? []), figure]);
  }
  for (const [name, figures] of byStudy) {
    const study = STUDIES[name]!;
    const dir = join(ROOT, 'results', name);
    if (!(reuse && existsSync(join(dir, 'study.html')))) {
      process.stderr.write(`research-figures: npx zonesim ${sweepCommand(name, study).join(' ')}\n`);
      const r = spawnSync(process.execPath, [join(ROOT, 'packages', 'cli', 'bin', 'zonesim.js'), ...sweepCommand(name, study)], { cwd: ROOT, stdio: 'inherit' });
      if (r.status !== 0) throw new Error(`the ${name} sweep failed (exit ${r.status ?? r.signal})`);
    }
    for (const figure of figures) {
      const f = study.figures[figure]!;
      const out = join(ROOT, 'docs', 'figures', `${figure}.png`);
      await renderStudyFigure(dir, f.metric, out, f.xAxis);
      process.stdout.write(`${figure}: docs/figures/${figure}.png (from results/${name}/study.html)\n`);
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`research-figures: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
