// Issue 9: with SigV4 authentication on, the page (served unsigned) asks for the access key once,
// signs its calls in the browser (no WebCrypto needed) and opens its feed through a presigned URL;
// a wrong key keeps it out.
import { existsSync } from 'node:fs';
import t from 'tap';
import { silentLogger } from '@zonesim/common';
import { Coordinator } from '@zonesim/coordinator';
import { CHROMIUM, openPage } from './harness/dashboard.js';
import { tempDir } from './harness/cluster.js';

t.test('the page signs in with an access key and goes live', async (t) => {
  t.ok(existsSync(CHROMIUM), `${CHROMIUM} is installed`);
  // In process, with a silent logger (logging to tap's stdout pipe can stall the exit).
  const coordinator = new Coordinator({ port: 0, clusterToken: 'tok', dataDir: await tempDir(t), accessKeyId: 'TEACHER', secretAccessKey: 'class-secret' }, { logger: silentLogger() });
  await coordinator.start();
  t.teardown(() => coordinator.stop());
  const { page, errors, foreign } = await openPage(t, `${coordinator.apiUrl}/`);
  await page.waitForSelector('#auth:not([hidden])', { timeout: 20_000 });
  t.equal(await page.locator('#status').getAttribute('data-state'), 'unauthorized', 'unsigned calls are refused: the page asks for a key');

  await page.fill('#auth-key', 'TEACHER');
  await page.fill('#auth-secret', 'wrong');
  await page.click('#auth button[type="submit"]');
  await page.waitForSelector('#messages li.error >> text=signature', { timeout: 10_000 });
  t.equal(await page.locator('#auth').isVisible(), true, 'a wrong secret keeps the form up');

  await page.fill('#auth-secret', 'class-secret');
  await page.click('#auth button[type="submit"]');
  await page.waitForSelector('body[data-feed="live"]', { timeout: 20_000 });
  t.equal(await page.locator('#auth').isVisible(), false, 'signed in');
  t.equal(await page.locator('#status').getAttribute('data-state'), 'live', 'the presigned event stream is open');
  await page.waitForSelector('#controls-status >> text=controls', { timeout: 5_000 });

  // The only errors are the refused requests' own lines (Chromium logs each 403 it receives).
  t.same(errors.filter((e) => !/status of 403/.test(e)), [], 'no other console errors');
  t.same(foreign, []);
});
