// Renders one chart of a study's `study.html` to a PNG, for docs/research.md:
//   node --import=tsx scripts/study-figure.ts STUDY_DIR METRIC OUT.png [--x-axis FIELD]
// The chart is the page's own (figure[data-metric=METRIC]); with two or more swept fields,
// `--x-axis` picks the one on the x axis (the others become series). Needs Chromium
// (scripts/install-test-deps.sh installs Debian's).
import { chromium } from 'playwright-core';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const axisAt = args.indexOf('--x-axis');
  const xAxis = axisAt >= 0 ? args.splice(axisAt, 2)[1] : undefined;
  const [studyDir, metric, out] = args;
  if (!studyDir || !metric || !out) throw new Error('usage: study-figure.ts STUDY_DIR METRIC OUT.png [--x-axis FIELD]');
  const browser = await chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 }, deviceScaleFactor: 2 });
    await page.goto(pathToFileURL(resolve(studyDir, 'study.html')).href);
    if (xAxis !== undefined) await page.selectOption('#x-axis', xAxis);
    const figure = page.locator(`figure[data-metric="${metric}"]`).first();
    await figure.waitFor();
    // Chart.js animates; wait for the last frame.
    await page.waitForTimeout(1200);
    await figure.screenshot({ path: out });
  } finally {
    await browser.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exitCode = 1;
});
