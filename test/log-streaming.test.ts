// Issue 15, finding 6: "a handler writing 100 MB to stdout at 128 MB dies with Runtime.OutOfMemory
// (stdout is buffered over IPC, where Lambda's stdout is a pipe)". The same handlers, to stdout and
// to stderr: each completes normally, its log holds what the per-invocation bound allows plus the
// count of what it dropped, its tail (X-Amz-Log-Result) is the last output, and the zone node that
// read all of it stays small.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { testCluster } from './harness/cluster.js';
import { api, deploy, invoke } from './harness/lambda.js';
import { waitFor } from './harness/processes.js';

const MIB = 1024 * 1024;

/** 100 MiB in lines of 1 KiB, written in 1 MiB pieces, then a last line saying which stream. */
const writer = (stream: 'stdout' | 'stderr'): string => `export const handler = async () => {
  const piece = ('x'.repeat(1023) + '\\n').repeat(1024);
  for (let i = 0; i < 100; i++) process.${stream}.write(piece);
  process.${stream}.write('the last line of ${stream}\\n');
  return 'done';
};\n`;

/** Peak resident set of a process (VmHWM), bytes. */
function peakRss(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

t.test('100 MB to stdout or stderr at 128 MB streams through a bounded log', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  const zoneNodePid = cluster.zoneNodes[0]!.handle.pid;

  for (const stream of ['stdout', 'stderr'] as const) {
    await t.test(stream, async (t) => {
      const fn = `flood-${stream}`;
      t.equal((await deploy(cluster.apiUrl, fn, { 'index.mjs': writer(stream) }, { MemorySize: 128, Timeout: 120 })).status, 201);
      const rssBefore = peakRss(zoneNodePid);
      const r = await invoke(cluster.apiUrl, fn, {}, { 'X-Amz-Log-Type': 'Tail' });
      t.equal(r.status, 200);
      t.equal(r.headers.get('x-amz-function-error'), null, r.text);
      t.same(r.json, 'done', 'completed normally, no Runtime.OutOfMemory');

      const tail = Buffer.from(r.headers.get('x-amz-log-result') ?? '', 'base64').toString('utf8').trimEnd().split('\n');
      t.ok(tail.length >= 3);
      t.equal(tail.at(-3), `the last line of ${stream}`, 'the tail is the last output');
      t.match(tail.at(-2), /^END RequestId: /);
      t.match(tail.at(-1), /^REPORT RequestId: .*Memory Size: 128 MB/);
      t.notMatch(tail.at(-1), /Status: error/);

      // The stored log: the head up to the bound (1 MiB), how many lines were dropped, the tail.
      let lines: string[] = [];
      await waitFor(async () => {
        const events = (await api(cluster.apiUrl, 'GET', `/zonesim/v1/functions/${fn}/logs?limit=10000`)).json.events as Array<{ line?: string; message?: string }>;
        lines = events.map((e) => e.line ?? e.message ?? '');
        return lines.some((l) => l.startsWith('REPORT '));
      }, 20_000, 'the invocation\'s log shipped');
      const chars = lines.reduce((n, l) => n + l.length, 0);
      t.ok(chars <= MIB + 4096, `the log holds ${chars} characters: the bound`);
      t.ok(chars >= MIB - 8192, 'the bound is used');
      const note = lines.find((l) => l.startsWith('zonesim: '));
      const dropped = Number(/^zonesim: (\d+) log lines dropped \(log limit 1048576 bytes\)$/.exec(note ?? '')?.[1]);
      // 102,401 lines of output; about 1,020 fit the bound.
      t.ok(dropped > 100 * 1024 - 1100 && dropped < 100 * 1024, `${dropped} lines dropped and counted`);
      t.equal(lines.filter((l) => l === 'x'.repeat(1023)).length + dropped + 1, 100 * 1024 + 1, 'kept + dropped = written');
      t.equal(lines[lines.findIndex((l) => l.startsWith('END '))! - 1], `the last line of ${stream}`);

      // The zone node read 100 MB through the pipe without holding it.
      const grew = peakRss(zoneNodePid) - rssBefore;
      // Holding the output would take 100 MiB more; reading it costs the GC's headroom (and, the first
      // time, the environment's start).
      t.ok(grew < 80 * MIB, `the zone node's peak RSS grew by ${Math.round(grew / MIB)} MiB`);
    });
  }
});
