// Renders one chart of a study's `study.html` to a PNG, for docs/research.md:
//   node --import=tsx scripts/study-figure.ts STUDY_DIR METRIC OUT.png [--x-axis FIELD]
// The chart is the page's own (figure[data-metric=METRIC]); with two or more swept fields,
// `--x-axis` picks the one on the x axis (the others become series). Needs Chromium
// (scripts/install-test-deps.sh installs Debian's). `npm run figure` (scripts/research-figures.ts)
// runs a study's sweep and this in one command.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

/** Draws `figure[data-metric=METRIC]` of STUDY_DIR/study.html into `out` (a PNG). */
export async function renderStudyFigure(studyDir: string, metric: string, out: string, xAxis?: string): Promise<void> {
  const page = resolve(studyDir, 'study.html');
  if (!existsSync(page)) throw new Error(`no study at ${page} (run the study's sweep first)`);
  const executablePath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new Error(`Chromium not found at ${executablePath}: run bash scripts/install-test-deps.sh, or set CHROMIUM_PATH`);
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-background-networking'] });
  try {
    const tab = await browser.newPage({ viewport: { width: 1000, height: 800 }, deviceScaleFactor: 2 });
    await tab.goto(pathToFileURL(page).href);
    if (xAxis !== undefined) await tab.selectOption('#x-axis', xAxis);
    const figure = tab.locator(`figure[data-metric="${metric}"]`).first();
    await figure.waitFor({ timeout: 10_000 }).catch(() => {
      throw new Error(`${page} has no chart of ${metric}`);
    });
    // Chart.js animates; wait for the last frame.
    await tab.waitForTimeout(1200);
    await figure.screenshot({ path: out });
  } finally {
    await browser.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const axisAt = args.indexOf('--x-axis');
  const xAxis = axisAt >= 0 ? args.splice(axisAt, 2)[1] : undefined;
  const [studyDir, metric, out] = args;
  const done = !studyDir || !metric || !out ? Promise.reject(new Error('usage: study-figure.ts STUDY_DIR METRIC OUT.png [--x-axis FIELD]')) : renderStudyFigure(studyDir, metric, out, xAxis);
  done.catch((err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
