import t, { type Test } from 'tap';
import { buildZip, inspectZip, isCodeError } from '@zonesim/code';
import { silentLogger } from '@zonesim/common';
import { LambdaApiError } from '../errors.js';
import { UploadPool } from './upload-pool.js';
import { resolveUploadPoolOptions } from './upload-pool-options.js';
import { PackageJobs } from './package-jobs.js';

const TEST_WORKER = new URL(`./test-util/test-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/** A started pool of the test worker, stopped at teardown. */
async function testPool(t: Test, options: { workers: number; maxQueuedJobs: number; workerMaxHeapMb?: number }): Promise<UploadPool> {
  const pool = new UploadPool(options, { log: silentLogger(), workerFile: TEST_WORKER });
  await pool.start();
  t.teardown(() => pool.stop());
  return pool;
}

const sleep = (ms: number, value?: unknown) => ({ type: 'sleep', ms, value }) as never;

t.test('options: defaults and a refusal naming the field', async (t) => {
  const o = resolveUploadPoolOptions();
  t.ok(o.workers >= 1 && o.workers <= 2);
  t.equal(o.maxQueuedJobs, 16);
  t.throws(() => resolveUploadPoolOptions({ workers: 0 }), /upload option workers/);
  t.throws(() => resolveUploadPoolOptions({ maxQueuedJobs: -1 }), /upload option maxQueuedJobs/);
  t.throws(() => resolveUploadPoolOptions({ niceIncrement: 20 }), /upload option niceIncrement/);
});

t.test('past maxQueuedJobs waiting jobs a job is refused with 429 TooManyRequestsException; the others run', async (t) => {
  const pool = await testPool(t, { workers: 1, maxQueuedJobs: 1 });
  const running = pool.run(sleep(400, 'first'));
  // Let the first job reach the worker, so the second is the one waiting.
  await new Promise((r) => setTimeout(r, 100));
  const queued = pool.run(sleep(10, 'second'));
  const refused = await pool.run(sleep(10, 'third')).then(() => undefined, (err: unknown) => err);
  t.ok(refused instanceof LambdaApiError, String(refused));
  const e = refused as LambdaApiError;
  t.equal(e.type, 'TooManyRequestsException');
  t.equal(e.status, 429);
  t.equal(e.extra['Reason'], 'CallerRateLimitExceeded');
  t.equal(e.retryAfterSec, 1);
  t.equal(await running, 'first');
  t.equal(await queued, 'second');
  t.match(pool.stats(), { refused: 1, failed: 0 });
});

t.test('a worker that dies fails only its own job, with 500 ServiceException, and is replaced', async (t) => {
  const pool = await testPool(t, { workers: 2, maxQueuedJobs: 4 });
  const other = pool.run(sleep(500, 'survivor'));
  await new Promise((r) => setTimeout(r, 50));
  const died = await pool.run({ type: 'exit', code: 3 } as never).then(() => undefined, (err: unknown) => err);
  t.ok(died instanceof LambdaApiError, String(died));
  t.equal((died as LambdaApiError).type, 'ServiceException');
  t.equal((died as LambdaApiError).status, 500);
  t.equal(await other, 'survivor', 'the job on the other worker finished');
  // The pool is whole again: two jobs at once both run.
  t.same(await Promise.all([pool.run(sleep(50, 'a')), pool.run(sleep(50, 'b'))]), ['a', 'b']);
  t.equal(pool.stats().workers, 2, 'the dead worker was replaced');
  t.match(pool.stats(), { failed: 1 });
});

t.test('a worker past its heap limit dies alone; the next job runs', async (t) => {
  const pool = await testPool(t, { workers: 1, maxQueuedJobs: 2, workerMaxHeapMb: 64 });
  const oom = await pool.run({ type: 'oom' } as never).then(() => undefined, (err: unknown) => err);
  t.equal((oom as LambdaApiError).type, 'ServiceException');
  t.equal(await pool.run(sleep(10, 'after')), 'after');
});

t.test('stop: running jobs finish, later ones are refused, a second stop is harmless', async (t) => {
  const pool = new UploadPool({ workers: 1, maxQueuedJobs: 1 }, { log: silentLogger(), workerFile: TEST_WORKER });
  await pool.start();
  const running = pool.run(sleep(200, 'done'));
  await new Promise((r) => setTimeout(r, 50));
  const stopped = pool.stop();
  t.equal(await running, 'done');
  await Promise.all([stopped, pool.stop()]);
  t.equal(pool.state, 'stopped');
  await t.rejects(pool.run(sleep(1)), { status: 500, type: 'ServiceException', message: /stopping/ });
});

t.test('the real worker: errors come back as the classes and messages of in-thread code; bytes come back', async (t) => {
  const pool = new UploadPool({ workers: 1 }, { log: silentLogger() });
  await pool.start();
  t.teardown(() => pool.stop());
  const jobs = new PackageJobs(pool, { storeRoot: t.testdir() });

  const notJson = await jobs.parseCreateFunction(Buffer.from('{"FunctionName":'), 1024).then(() => undefined, (err: unknown) => err);
  t.ok(notJson instanceof LambdaApiError);
  t.equal((notJson as LambdaApiError).type, 'InvalidRequestContentException');
  t.match((notJson as LambdaApiError).message, /^Could not parse request body into json: /);

  const junk = Buffer.from('not a zip at all');
  const inThread = await inspectZip(junk).then(() => undefined, (err: unknown) => err);
  const viaWorker = await jobs.inspect(Buffer.from(junk), {}).then(() => undefined, (err: unknown) => err);
  t.ok(isCodeError(viaWorker), 'a CodeError again');
  t.equal((viaWorker as Error).message, (inThread as Error).message);
  t.equal((viaWorker as { code: string }).code, (inThread as { code: string }).code);

  const zip = await buildZip({ 'index.mjs': 'export const handler = async () => 1;', 'synthetic.json': '{}' });
  const expected = await inspectZip(zip, {}, { readFiles: ['synthetic.json'] });
  const { info, zip: back } = await jobs.inspect(Buffer.from(zip), {}, ['synthetic.json']);
  t.equal(info.sha256Hex, expected.sha256Hex);
  t.ok(Buffer.isBuffer(info.contents?.get('synthetic.json')), 'contents are Buffers again');
  t.equal(info.contents?.get('synthetic.json')?.toString('utf8'), '{}');
  t.ok(back.equals(zip), 'the zip came back whole');
  t.equal(await jobs.store(back), expected.sha256Hex);
});
