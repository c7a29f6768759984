// Issue 15, finding 5: with the stolen cluster token a fake zone node registered and "received 12 of
// 12 invocations of a new function, failing all of them (its NO_CAPACITY rejections were not placed
// elsewhere)". The same attack against a real cluster: every invocation must succeed on a real
// node, and the fake node must end suspect (skipped by placement), whether it refuses with a code
// the coordinator knows or with one it does not.
import t from 'tap';
import { testCluster } from './harness/cluster.js';
import { api, deploy, invoke } from './harness/lambda.js';
import { startRefusingNode } from './harness/refusing-node.js';

const HANDLER = 'export const handler = async (e) => { await new Promise((r) => setTimeout(r, 300)); return { n: e.n }; };';

t.test('a node that refuses every invocation black-holes nothing and ends suspect', async (t) => {
  // A long probation, so that "ends suspect" does not race the probation on a slow machine.
  const cluster = await testCluster(t, { zoneCount: 2, coordinatorArgs: ['--refusal-probation-ms', '600000'] });

  for (const [i, code] of ['NODE_AT_CAPACITY', 'NO_CAPACITY'].entries()) {
    await t.test(`refusing with ${code}`, async (t) => {
      const fake = await startRefusingNode({ zoneUrl: cluster.zoneUrl, token: cluster.token, zone: 'az-c', nodeId: `fake-${i}`, code });
      t.teardown(() => fake.close());
      const fn = `brand-new-${i}`;
      t.equal((await deploy(cluster.apiUrl, fn, { 'index.mjs': HANDLER })).status, 201);

      // Twelve at once: each needs a new environment, and the fake (alone in its zone, with room for
      // 10,000) looks like the best place for every one of them.
      const answers = await Promise.all(Array.from({ length: 12 }, (_, n) => invoke(cluster.apiUrl, fn, { n })));
      t.same(answers.map((a) => a.status), Array(12).fill(200), answers.find((a) => a.status !== 200)?.text ?? 'all 200');
      t.same(answers.map((a) => a.json?.n), Array.from({ length: 12 }, (_, n) => n), 'each answered by its own run');
      t.ok(answers.every((a) => a.headers.get('x-zonesim-zone') === 'az-a' || a.headers.get('x-zonesim-zone') === 'az-b'), 'all ran on real nodes');
      t.ok(fake.offered.length >= 3, `the fake node was offered ${fake.offered.length} of them`);

      const zones = (await api(cluster.apiUrl, 'GET', '/zonesim/v1/zones')).json.zones as Array<{ zone: string; nodes: Array<Record<string, any>> }>;
      const node = zones.find((z) => z.zone === 'az-c')?.nodes.find((n) => n.nodeId === `fake-${i}`);
      t.match(node, { health: 'suspect', suspectReason: 'refusing', refusals: { lastCode: code } }, 'the fake node is suspect');
      t.ok(node?.refusals.total >= 3);
      for (const z of zones.filter((z) => z.zone !== 'az-c')) t.ok(z.nodes.every((n) => n.health === 'healthy'), `${z.zone} stays healthy`);

      // After the suspicion it gets nothing, and the dashboard's explain shows the refusal.
      const before = fake.offered.length;
      for (let n = 0; n < 4; n++) t.equal((await invoke(cluster.apiUrl, fn, { n })).status, 200);
      t.equal(fake.offered.length, before, 'a suspect node is not chosen');
      const story = (await api(cluster.apiUrl, 'GET', `/zonesim/v1/invocations/${fake.offered[0]}`)).json;
      t.ok(
        story.steps.some((s: { kind: string; title: string }) => s.kind === 'refused' && s.title.includes(`fake-${i}`) && s.title.includes(code)),
        'the explain steps show the refusal',
      );
    });
  }
});
