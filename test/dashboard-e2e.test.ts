// Issue 9, must show: the live dashboard driven in headless Chromium (Debian's chromium through
// playwright-core) against `zonesim up`, as a teacher would use it. The three zones appear, a
// Kill button marks its zone down within the detection time and the rates move to the other
// zones, "explain" shows a failed-over invocation's steps, Heal brings the zone back, the page logs
// no error and asks nothing of any other origin. A screenshot is saved under .tap/screenshots/.
import { existsSync } from 'node:fs';
import t from 'tap';
import { api, deploy, invoke } from './harness/lambda.js';
import { CHROMIUM, SteadyLoad, openPage, screenshot, zonesimUp } from './harness/dashboard.js';
import { tempDir } from './harness/cluster.js';
import { waitFor } from './harness/processes.js';

// page.waitForFunction runs in the browser; its DOM is declared here only (lib "dom" in the test
// build would retype Node's timers in every test).
declare const document: { querySelectorAll(selector: string): { length: number }; querySelector(selector: string): unknown };
interface PageChart {
  data: { datasets: Array<{ data: Array<{ x: number; y: number | null }> }> };
  getDatasetMeta(i: number): { data: Array<{ x: number; y: number }> };
}
declare const window: { Chart: { getChart(canvas: unknown): PageChart | undefined } };
declare const location: { hash: string };

/** The failure detector's detection time with `zonesim up`'s defaults: 4 missed 200 ms heartbeats, checked twice per interval. */
const DETECTION_MS = 900;
/** The feed sends one update per 500 ms: the page can show a change at most this much later. */
const FEED_INTERVAL_MS = 500;
/** Timers firing late on a 2-core machine running the cluster, the load and the browser at once. */
const TIMER_SLACK_MS = 500;

// A cluster, Chromium and a minute of lesson: more than the default per-file timeout on a busy machine.
t.setTimeout(6 * 60_000);

t.test('the dashboard: zones, kill, failover, explain, heal', async (t) => {
  t.ok(existsSync(CHROMIUM), `${CHROMIUM} is installed (apt-get install chromium)`);
  const dir = await tempDir(t, 'zonesim-dashboard-');
  // Platform timers 60x faster: an async attempt lost with its zone is retried after ~20 ms, not ~1 s.
  const { apiUrl, output } = await zonesimUp(t, ['--zones', '3', '--data-dir', dir, '--time-scale', '60', '--max-environments', '64']);
  t.match(output(), new RegExp(`dashboard\\s+${apiUrl.replace(/[.]/g, '\\.')}/`), 'up prints the dashboard URL');

  // A synthetic function (timers, no process) that runs for 600 ms: plenty are in flight in every zone.
  const created = await deploy(apiUrl, 'lesson', {
    'synthetic.json': JSON.stringify({ init: { kind: 'constant', value: 120 }, duration: { kind: 'constant', value: 600 }, memory: { kind: 'constant', value: 64 } }),
  }, { Runtime: 'zonesim.synthetic', Handler: 'ignored', MemorySize: 128 });
  t.equal(created.status, 201, created.text);

  const { page, errors, foreign } = await openPage(t, `${apiUrl}/`);
  await page.waitForSelector('body[data-feed="live"]', { timeout: 30_000 });
  await page.waitForFunction(() => document.querySelectorAll('#topology article.zone[data-health="healthy"]').length === 3, undefined, { timeout: 30_000 });
  t.same(await page.locator('#topology article.zone').evaluateAll((zones) => zones.map((z) => z.getAttribute('data-zone'))), ['az-a', 'az-b', 'az-c'], 'the three zones appear');
  t.equal(await page.locator('#topology .node').count(), 3, 'one node per zone');

  const load = new SteadyLoad(apiUrl, 'lesson', { syncPerSec: 30, asyncPerSec: 30 });
  t.teardown(() => load.stop());
  const rate = (zone: string) => page.locator(`#rates tr[data-zone="${zone}"] td`).first().getAttribute('data-value').then((v) => Number(v ?? 0));
  await waitFor(async () => (await rate('az-a')) > 0 && (await rate('az-b')) > 0 && (await rate('az-c')) > 0, 30_000, 'every zone to take invocations');
  await waitFor(async () => (await page.locator('#topology .env.s-busy').count()) > 0, 10_000, 'busy environments to be drawn');
  // Rates over one second jitter: average a few samples, half a second apart.
  const sample = async () => {
    const sum = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 4; i++) {
      sum.a += await rate('az-a');
      sum.b += await rate('az-b');
      sum.c += await rate('az-c');
      await new Promise((r) => setTimeout(r, 500));
    }
    return { a: sum.a / 4, b: sum.b / 4, c: sum.c / 4 };
  };
  const before = await sample();
  t.ok(before.b > 0, `az-b runs ${before.b.toFixed(1)} invocations/s before the kill`);

  // Kill az-b from the page.
  const killButton = page.locator('button[data-zone="az-b"][data-action="kill"]');
  t.equal(await killButton.isEnabled(), true, 'the kill button is enabled (loopback API, supervised cluster)');
  const clickedAt = Date.now();
  await killButton.click();
  await page.waitForSelector('#topology article.zone[data-zone="az-b"][data-health="down"]', { timeout: 30_000 });
  const shownDownMs = Date.now() - clickedAt;
  // Detection as the page learned it: from the moment the supervisor killed the processes (the
  // control's `since`) to the feed tick that first reported the zone down. Browser rendering and
  // the click's own round trip are not part of it (on a busy machine they can take seconds).
  const killedAt = ((await api(apiUrl, 'GET', '/zonesim/v1/control')).json.active as Array<{ zone: string; action: string; since: number }>).find((a) => a.zone === 'az-b' && a.action === 'kill')!.since;
  const reportedAt = Number(await page.locator('#topology article.zone[data-zone="az-b"]').getAttribute('data-health-since'));
  t.ok(reportedAt - killedAt <= DETECTION_MS + FEED_INTERVAL_MS + TIMER_SLACK_MS, `the feed reported az-b down ${reportedAt - killedAt} ms after the kill (detection ${DETECTION_MS} ms + one feed interval ${FEED_INTERVAL_MS} ms + ${TIMER_SLACK_MS} ms); the page showed it ${shownDownMs} ms after the click`);
  t.match(await page.locator('#topology article.zone[data-zone="az-b"] .zone-faults').textContent(), /killed/, 'the zone says it was killed');
  t.equal(await page.locator('button[data-zone="az-b"][data-action="kill"]').getAttribute('aria-pressed'), 'true');
  t.ok(await page.locator('#topology article.zone[data-zone="az-b"] .env.s-evicted').count() > 0, 'the dead node\'s environments are drawn evicted');

  // The rates move to the two zones left.
  await waitFor(async () => (await rate('az-b')) === 0 && (await rate('az-a')) + (await rate('az-c')) > 0, 15_000, 'az-b to get nothing and the others everything');
  await new Promise((r) => setTimeout(r, 1000));
  const after = await sample();
  t.equal(after.b, 0, 'az-b takes no invocations while down');
  t.ok(after.a + after.c > before.a + before.c, `the others take more: az-a ${before.a.toFixed(1)} -> ${after.a.toFixed(1)}/s, az-c ${before.c.toFixed(1)} -> ${after.c.toFixed(1)}/s`);
  t.ok(after.a + after.c >= 0.6 * (before.a + before.b + before.c), `the two zones left carry the load (${(after.a + after.c).toFixed(1)}/s of ${(before.a + before.b + before.c).toFixed(1)}/s before)`);

  // Explain a failed-over invocation: picked from the page's list of notable invocations.
  await page.selectOption('#explain-filter', 'failed-over');
  const failedOver = page.locator('#notable-list a[data-kind="failed-over"]').first();
  await failedOver.waitFor({ timeout: 20_000 });
  const requestId = await failedOver.getAttribute('data-request-id');
  await failedOver.click();
  await page.waitForSelector(`#story[data-request-id="${requestId}"]`, { timeout: 10_000 });
  const kinds = await page.locator('#story li.step').evaluateAll((steps) => steps.map((s) => s.getAttribute('data-kind')));
  t.ok(kinds.includes('received') && kinds.includes('placed'), `the story starts with received and placed: ${kinds.join(', ')}`);
  t.ok(kinds.includes('failover'), 'the story has a failover step');
  t.ok(kinds.includes('lost') || kinds.filter((k) => k === 'placed').length >= 2, 'it was lost with az-b or placed again');
  t.ok(kinds.includes('run') && (kinds.includes('answered') || kinds.includes('delivered')), 'then it ran elsewhere and succeeded');
  const storyText = (await page.locator('#story').textContent()) ?? '';
  t.match(storyText, /az-b/, 'the story names the zone it was lost in');
  t.match(storyText, /REPORT RequestId: \S+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms/, 'its REPORT line');
  t.match(storyText, /Cost: \$/, 'its cost');
  t.ok(await page.locator('#story .tag[data-tag="failed-over"]').count(), 'tagged failed over');
  const failoverStep = (await page.locator('#story li.step[data-kind="failover"]').first().textContent()) ?? '';
  t.match(failoverStep, /\d\d:\d\d:\d\d\.\d{3}/, 'each step has its timestamp');
  const shot = await screenshot(page, 'dashboard-failover.png');
  t.comment(`screenshot: ${shot}`);

  // A click on a failed point of the errors chart explains a failure of that moment.
  const point = await page.evaluate(() => {
    const chart = window.Chart.getChart(document.querySelector('canvas[data-chart="errors"]'));
    const data = chart?.data.datasets[0]?.data ?? [];
    for (let i = data.length - 1; i >= 0; i--) {
      const p = data[i]!;
      if (p.y !== null && p.y > 0) return { x: Math.round(chart!.getDatasetMeta(0).data[i]!.x), y: Math.round(chart!.getDatasetMeta(0).data[i]!.y) };
    }
    return null;
  });
  t.ok(point, 'the errors chart has a failed point');
  await page.locator('canvas[data-chart="errors"]').click({ position: point! });
  // The click puts the failed request id in the URL (#explain=...), which draws its story.
  await page.waitForFunction(() => {
    const m = /^#explain=(.+)$/.exec(location.hash);
    const story = document.querySelector('#story') as { getAttribute(n: string): string | null } | null;
    return m !== null && story?.getAttribute('data-request-id') === decodeURIComponent(m[1]!);
  }, undefined, { timeout: 10_000 });
  const clicked = await page.locator('#story li.step').evaluateAll((steps) => steps.map((s) => s.getAttribute('data-kind')));
  t.ok(clicked.some((k) => k === 'lost' || k === 'error' || k === 'throttled'), `the clicked point's story shows its failure: ${clicked.join(', ')}`);

  // Heal: the zone's node is restarted and the zone is healthy again.
  await page.locator('button[data-zone="az-b"][data-action="heal"]').click();
  await page.waitForSelector('#topology article.zone[data-zone="az-b"][data-health="healthy"]', { timeout: 60_000 });
  // Placement is warm-first: the steady load fits in the warm environments the two other zones grew
  // while az-b was down, so a healed zone takes work when there is more than they hold. A burst of
  // concurrent invocations is that overflow: its cold starts go to the least-loaded zone, az-b.
  const burst = Promise.all(Array.from({ length: 48 }, () => invoke(apiUrl, 'lesson', {}).catch(() => undefined)));
  try {
    await waitFor(async () => (await rate('az-b')) > 0, 60_000, 'az-b to take invocations again');
    t.pass('az-b is back and takes invocations');
  } catch (err) {
    // What the cluster looked like: the rates shown, the load's own counts, the nodes' environments.
    const zones = await fetch(`${apiUrl}/zonesim/v1/zones`).then((r) => r.text()).catch((e: unknown) => String(e));
    t.fail(`${(err as Error).message}; rates a=${await rate('az-a')} b=${await rate('az-b')} c=${await rate('az-c')}; load ${JSON.stringify(load.counts)}; zones ${zones.slice(0, 3000)}`);
  }
  const zonesOfBurst = (await burst).map((r) => r?.headers.get('x-zonesim-zone'));
  t.comment(`the burst ran in: ${JSON.stringify(Object.fromEntries(['az-a', 'az-b', 'az-c'].map((z) => [z, zonesOfBurst.filter((x) => x === z).length])))}`);
  load.stop();
  t.comment(`load: ${JSON.stringify(load.counts)}`);
  const healed = await screenshot(page, 'dashboard-healed.png');
  t.comment(`screenshot: ${healed}`);

  t.same(errors, [], 'no console errors or page errors');
  t.same(foreign, [], 'nothing requested from another origin (no CDN)');
});
