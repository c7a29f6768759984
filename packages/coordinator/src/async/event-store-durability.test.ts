import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { systemClock } from '@zonesim/common';
import { EventStore } from './event-store.js';

/** A fresh directory per call (tap's `testdir()` is one directory per test, recreated on each call). */
function freshDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'zonesim-async-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const payload = (id: string): Buffer => Buffer.from(JSON.stringify({ id }));

/**
 * Runs `body` in a child Node process (TypeScript through tsx) with `EventStore` and `systemClock`
 * imported and `DIR` set; the body ends with `die()`, which writes the acknowledged ids to a file
 * synchronously and SIGKILLs its own process. Resolves with those ids and how the child ended. (A
 * file, not stdout: a synchronous write to a full non-blocking pipe fails with EAGAIN under load.)
 */
function runChild(dir: string, body: string): Promise<{ lines: string[]; signal: NodeJS.Signals | null; stderr: string }> {
  const storeUrl = new URL('./event-store.ts', import.meta.url).href;
  const commonUrl = import.meta.resolve('@zonesim/common');
  const ackFile = join(dir, 'acks.txt');
  const script = `
    import { writeFileSync } from 'node:fs';
    import { EventStore } from ${JSON.stringify(storeUrl)};
    import { systemClock } from ${JSON.stringify(commonUrl)};
    const DIR = process.env.ZONESIM_TEST_DIR;
    const acked = [];
    const say = (id) => acked.push(id);
    const die = () => {
      writeFileSync(${JSON.stringify(ackFile)}, acked.join('\\n'));
      process.kill(process.pid, 'SIGKILL');
    };
    const payload = (id) => Buffer.from(JSON.stringify({ id }));
    ${body}
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, ZONESIM_TEST_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stdout.resume();
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      const lines = existsSync(ackFile) ? readFileSync(ackFile, 'utf8').split('\n').filter(Boolean) : [];
      resolve({ lines, signal, stderr: err });
    });
  });
}

t.test('rows written by one instance are read by a new one on the same file, without a close', async (t) => {
  const dir = freshDir(t);
  const first = new EventStore({ dataDir: dir }, { clock: systemClock });
  await Promise.all(['a', 'b', 'c'].map((id) => first.enqueue({ eventId: id, functionName: 'f', payload: payload(id) })));
  // `first` is never closed before the second instance opens: as after a crash.
  const second = new EventStore({ dataDir: dir }, { clock: systemClock });
  t.match(second.stats(), { queued: 3, enqueued: 3 });
  t.same(JSON.parse(second.get('b')!.payload.toString()), { id: 'b' });
  second.close();
  first.close();
});

t.test('an enqueue acknowledged before SIGKILL survives it; an in-flight event is re-delivered and counted as a duplicate', async (t) => {
  const dir = freshDir(t);
  const child = await runChild(
    dir,
    `
    const store = new EventStore({ dataDir: DIR }, { clock: systemClock });
    await store.enqueue({ eventId: 'running', functionName: 'f', payload: payload('running') });
    const [claimed] = store.claimDue(Date.now(), 1);
    store.startAttempt(claimed.eventId, claimed.claimToken);
    await store.enqueue({ eventId: 'accepted', functionName: 'f', payload: payload('accepted') });
    say('accepted');
    die();
    `,
  );
  t.equal(child.signal, 'SIGKILL', child.stderr);
  t.same(child.lines, ['accepted'], 'the child saw its enqueue committed before it died');

  const store = new EventStore({ dataDir: dir }, { clock: systemClock });
  t.teardown(() => store.close());
  t.match(store.stats(), { queued: 1, inFlight: 1, deliveries: 1, duplicates: 0 });
  t.same(JSON.parse(store.get('accepted')!.payload.toString()), { id: 'accepted' });
  t.equal(store.recoverInFlight(), 1, 'the dead process left one event in flight; it is re-queued');
  const claimed = store.claimDue(Date.now(), 10);
  t.same(claimed.map((e) => e.eventId).sort(), ['accepted', 'running']);
  const started = Object.fromEntries(claimed.map((e) => [e.eventId, store.startAttempt(e.eventId, e.claimToken)]));
  t.same(started, {
    running: { attempt: 2, duplicate: true },
    accepted: { attempt: 1, duplicate: false },
  });
  t.match(store.stats(), { deliveries: 3, duplicates: 1 });
  t.match(store.get('running'), { deliveries: 2, duplicates: 1 });
});

t.test('SIGKILL in the middle of a burst: every acknowledged enqueue is on disk', async (t) => {
  const dir = freshDir(t);
  const total = 5000;
  const killAfter = 1000;
  const child = await runChild(
    dir,
    `
    const store = new EventStore({ dataDir: DIR, maxBatchSize: 200 }, { clock: systemClock });
    for (let i = 0; i < ${total}; i++) {
      store.enqueue({ eventId: 'e' + i, functionName: 'f', payload: payload('e' + i) }).then(() => {
        say('e' + i);
        if (acked.length === ${killAfter}) die();
      });
    }
    `,
  );
  t.equal(child.signal, 'SIGKILL', child.stderr);
  t.equal(child.lines.length, killAfter, 'acknowledgements printed before the kill');

  const store = new EventStore({ dataDir: dir }, { clock: systemClock });
  t.teardown(() => store.close());
  const missing = child.lines.filter((id) => store.get(id)?.status !== 'queued');
  t.same(missing, [], 'no acknowledged event is lost');
  const { queued } = store.stats();
  t.ok(queued >= killAfter && queued < total, `the kill landed mid-burst (${queued} of ${total} stored)`);
});
