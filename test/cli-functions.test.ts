// Issue 3: CLI conveniences: `zonesim deploy DIR`, `zonesim invoke NAME [--tail] [--async] [--stream]`, `zonesim ls`.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { testCluster, tempDir } from './harness/cluster.js';
import { runZonesim } from './harness/cli.js';

t.test('deploy a folder, invoke it, list it', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  const dir = await tempDir(t);
  await mkdir(join(dir, 'node_modules', 'dep'), { recursive: true });
  await writeFile(join(dir, 'node_modules', 'dep', 'index.js'), 'exports.twice = (x) => x * 2;');
  await writeFile(join(dir, 'index.js'), `const { twice } = require('dep'); exports.handler = async (e) => { console.log('got', e.n); return { n: twice(e.n) }; };`);
  const endpoint = ['--endpoint-url', cluster.apiUrl];

  const created = await runZonesim(['deploy', dir, '--name', 'folder-fn', ...endpoint]);
  t.equal(created.code, 0, created.stderr);
  t.match(created.stdout, /^created folder-fn: \d+ bytes, CodeSha256 \S+, Active/);

  const invoked = await runZonesim(['invoke', 'folder-fn', '--payload', '{"n":21}', '--tail', ...endpoint]);
  t.equal(invoked.code, 0, invoked.stderr);
  t.same(JSON.parse(invoked.stdout), { n: 42 });
  t.match(invoked.stderr, /INFO\tgot 21/);
  t.match(invoked.stderr, /REPORT RequestId/);
  t.match(invoked.stderr, /zone az-a, cold/);

  await writeFile(join(dir, 'index.js'), `exports.handler = async (e) => ({ n: e.n + 1 });`);
  const updated = await runZonesim(['deploy', dir, '--name', 'folder-fn', '--memory', '256', ...endpoint]);
  t.equal(updated.code, 0, updated.stderr);
  t.match(updated.stdout, /^updated folder-fn/);
  t.same(JSON.parse((await runZonesim(['invoke', 'folder-fn', '--payload', '{"n":1}', ...endpoint])).stdout), { n: 2 }, 'the new code runs');

  const queued = await runZonesim(['invoke', 'folder-fn', '--async', ...endpoint]);
  t.match(queued.stdout, /accepted \(202\), request id [0-9a-f-]{36}/);

  const listed = await runZonesim(['ls', ...endpoint]);
  t.equal(listed.code, 0, listed.stderr);
  t.match(listed.stdout, /folder-fn\s+nodejs20\.x\s+index\.handler\s+256\s+3/);

  const missing = await runZonesim(['invoke', 'nope', ...endpoint]);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /ResourceNotFoundException/);

  // --stream (issue 17): InvokeWithResponseStream, chunks to stdout as they come, errors to stderr.
  const streaming = await tempDir(t);
  await writeFile(
    join(streaming, 'index.mjs'),
    `export const handler = awslambda.streamifyResponse(async (e, s) => {
  s.setContentType('text/plain');
  for (let i = 1; i <= 3; i++) { s.write('part ' + i + ';'); await new Promise((r) => setTimeout(r, 5)); }
  if (e.fail) throw new Error('after three parts');
  s.end();
});
`,
  );
  t.equal((await runZonesim(['deploy', streaming, '--name', 'streamer', '--handler', 'index.handler', ...endpoint])).code, 0);
  const streamed = await runZonesim(['invoke', 'streamer', '--stream', '--tail', ...endpoint]);
  t.equal(streamed.code, 0, streamed.stderr);
  t.equal(streamed.stdout, 'part 1;part 2;part 3;');
  t.match(streamed.stderr, /REPORT RequestId/);
  t.match(streamed.stderr, /content type text\/plain/);
  const broken = await runZonesim(['invoke', 'streamer', '--stream', '--payload', '{"fail":true}', ...endpoint]);
  t.equal(broken.code, 1);
  t.equal(broken.stdout, 'part 1;part 2;part 3;', 'what was sent before the error');
  t.match(broken.stderr, /function error Error: .*after three parts/);
});
