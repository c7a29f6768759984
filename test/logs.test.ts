// Issue 3: per-function log streams (one per execution environment, Lambda's naming), readable
// with `zonesim logs FUNCTION [--follow]`.
import { spawn } from 'node:child_process';
import t from 'tap';
import { ZONESIM_BIN } from '@zonesim/cli';
import { runZonesim } from './harness/cli.js';
import { testCluster } from './harness/cluster.js';
import { api, deploy, invoke } from './harness/lambda.js';
import { waitFor } from './harness/processes.js';

const STREAM = /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/;

t.test('logs land in one stream per environment and zonesim logs prints and follows them', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  const code = 'console.log("init line");\nexport const handler = async (e) => { console.log("hello " + e.n); await new Promise((r) => setTimeout(r, e.hold ?? 0)); return e.n; };';
  t.equal((await deploy(cluster.apiUrl, 'chatty', { 'index.mjs': code })).status, 201);
  // Two concurrent invocations make two environments, so two log streams.
  const both = await Promise.all([invoke(cluster.apiUrl, 'chatty', { n: 1, hold: 300 }), invoke(cluster.apiUrl, 'chatty', { n: 2, hold: 300 })]);
  t.ok(both.every((r) => r.status === 200));

  let streams: Array<{ logStreamName: string; events: number }> = [];
  await waitFor(async () => {
    streams = (await api(cluster.apiUrl, 'GET', '/zonesim/v1/functions/chatty/log-streams')).json.logStreams;
    return streams.length === 2 && streams.every((s) => s.events >= 5);
  }, 10_000, 'two log streams with their lines');
  for (const s of streams) t.match(s.logStreamName, STREAM, 'Lambda\'s stream naming');

  const printed = await runZonesim(['logs', 'chatty', '--endpoint-url', cluster.apiUrl]);
  t.equal(printed.code, 0, printed.stderr);
  const lines = printed.stdout.trim().split('\n');
  t.ok(lines.some((l) => / START RequestId: .* Version: \$LATEST$/.test(l)), 'START lines');
  t.ok(lines.some((l) => l.includes('hello 1')) && lines.some((l) => l.includes('hello 2')), 'the handler\'s lines');
  t.ok(lines.some((l) => l.includes('init line')), 'INIT output');
  t.ok(lines.some((l) => /REPORT RequestId: .*Billed Duration: \d+ ms/.test(l)), 'REPORT lines');
  t.match(lines[0], /^\d{4}-\d{2}-\d{2}T[\d:.]+Z \d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32} /, 'timestamp, stream, message');

  // --follow prints lines written after it started.
  const follower = spawn(process.execPath, [ZONESIM_BIN, 'logs', 'chatty', '--follow', '--poll-ms', '50', '--since', '1m', '--endpoint-url', cluster.apiUrl], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    follower.kill('SIGKILL');
  });
  let followed = '';
  follower.stdout.on('data', (c: Buffer) => (followed += c.toString()));
  await waitFor(() => followed.includes('hello 2'), 10_000, 'the history since 1m');
  t.equal((await invoke(cluster.apiUrl, 'chatty', { n: 3 })).status, 200);
  await waitFor(() => followed.includes('hello 3'), 10_000, 'the new line followed');
  t.pass('follow printed a line written after it started');

  const missing = await runZonesim(['logs', 'nobody', '--endpoint-url', cluster.apiUrl]);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /ResourceNotFoundException/);
});
