import t from 'tap';
import { runLinkWorld } from './test-util/link-world.js';

t.test('same seed: same event order and delivery times, under every fault kind', async (t) => {
  const a = await runLinkWorld(7, { virtualMs: 20_000 });
  const b = await runLinkWorld(7, { virtualMs: 20_000 });
  t.ok(a.trace.length > 1000, `a busy world (${a.trace.length} trace lines, ${a.stats.events} events)`);
  for (const kind of ['latency', 'loss', 'partition', 'bandwidth', 'reset', 'refuse', 'pause', 'kill']) {
    t.ok(a.trace.some((l) => l.includes(`fault ${kind}`)), `fault ${kind} happened`);
  }
  t.ok(a.trace.some((l) => / node \d+ close 1006/.test(l)), 'connections were lost');
  t.ok(a.trace.some((l) => /dial failed SIM_LINK_REFUSED/.test(l)), 'dials were refused');
  t.ok(a.trace.some((l) => /buffered=[1-9]/.test(l)), 'a sender saw backpressure');
  t.equal(a.digest, b.digest);
  t.same(a.trace, b.trace);
  t.equal(a.stats.events, b.stats.events);
  t.equal(a.delivered, b.delivered);
});

t.test('another seed: another run', async (t) => {
  const a = await runLinkWorld(7, { virtualMs: 20_000 });
  const c = await runLinkWorld(8, { virtualMs: 20_000 });
  t.not(a.digest, c.digest);
  const firstDiff = a.trace.findIndex((line, i) => line !== c.trace[i]);
  t.ok(firstDiff >= 0 && firstDiff < 200, `differs early (line ${firstDiff})`);
});
