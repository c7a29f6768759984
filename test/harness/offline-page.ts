// Opens a self-contained HTML page (a run report, a study) in Debian's Chromium through
// playwright-core, the way the browser tests check it: every console error and page error is
// collected, and every request that is not for the file itself is recorded and refused (an offline
// page asks for nothing). CI installs Chromium (.ci/run): its absence is a failure, not a skip.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Test } from 'tap';

export const CHROMIUM = '/usr/bin/chromium';

/** The page, opened and ready (`body[data-charts-ready]`), with what it logged and asked for. */
export async function openOfflinePage(t: Test, htmlFile: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  t.ok(existsSync(CHROMIUM), `${CHROMIUM} is installed (apt-get install chromium)`);
  let browser: Browser | undefined;
  t.teardown(() => browser?.close());
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    requests.push(url);
    return route.abort();
  });
  await page.goto(pathToFileURL(htmlFile).href);
  await page.waitForSelector('body[data-charts-ready]', { timeout: 30_000 });
  return { page, errors, requests };
}
