// Issue 2: `npm run demo` runs on defaults and prints its table. The test runs the same command the
// npm script runs (after the build `npm test` already did), with fewer invocations.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import t from 'tap';
import { ZONESIM_BIN } from '@zonesim/cli';

t.test('zonesim demo deploys a zip, invokes it across zones and reports cold/warm', async (t) => {
  const demo = spawn(process.execPath, [ZONESIM_BIN, 'demo', '--invocations', '20'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  demo.stdout.on('data', (c: Buffer) => (out += c.toString()));
  demo.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const [code] = await once(demo, 'exit');
  t.equal(code, 0, out);
  t.match(out, /Deployed hello-zones from a \d+-byte zip/);
  t.match(out, /START RequestId: \S+ Version: \$LATEST/);
  t.match(out, /REPORT RequestId: .*Init Duration/);
  t.match(out, /zone\s+invocations\s+cold\s+warm/);
  for (const zone of ['az-a', 'az-b', 'az-c']) t.match(out, new RegExp(`\\n${zone}\\s+\\d+`), `${zone} in the per-zone table`);
  t.match(out, /20 invocations, 0 errors; \d+ cold starts/);
  t.match(out, /\bcold\b/);
  t.match(out, /\bwarm\b/);
});
