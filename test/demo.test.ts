// Issues 2 and 6: `npm run demo` is the failover demo: a 3-zone cluster under steady load with the
// sample function from a zip, a zone killed mid-run and restarted, then the report and the verdict.
// The test runs the command the npm script runs (after the build `npm test` already did), shorter.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ZONESIM_BIN } from '@zonesim/cli';

t.test('zonesim demo: load, a zone killed and restarted, the report and a passing verdict', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-demo-test-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, 'results');
  const demo = spawn(process.execPath, [ZONESIM_BIN, 'demo', '--duration', '15', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  demo.stdout.on('data', (c: Buffer) => (text += c.toString()));
  demo.stderr.on('data', (c: Buffer) => (text += c.toString()));
  const [code] = await once(demo, 'exit');
  t.equal(code, 0, text);
  t.match(text, /START RequestId: \S+ Version: \$LATEST/, 'the first invocation\'s Lambda log');
  t.match(text, /REPORT RequestId: .*Init Duration/, 'a cold start');
  t.match(text, /fault az-power-loss \(kill\) applied/);
  t.match(text, /fault az-power-loss healed/);
  t.match(text, /function\s+invocations\s+attempts\s+success/, 'the report table');
  t.match(text, /hello-zones\s+\d+/);
  t.match(text, /failover-demo \(seed 1\): PASS/);
  t.match(text, /PASS\s+fast-detection\s+detection/);
  t.match(text, /PASS\s+nothing-lost\s+lostEvents/);
  t.ok(existsSync(join(out, 'report', 'report.html')), 'the HTML report');
  t.ok(existsSync(join(out, 'ledger')), 'the ledger');
});
