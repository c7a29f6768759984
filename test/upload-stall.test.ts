// Issue 15, finding 4: a ~50 MB CreateFunction or a 100,000-entry zip blocked the coordinator's
// event loop for 420-925 ms, every zone node declared it silent and dropped its link, and the
// coordinator marked all three down. A deploy must never cause a failover: while big packages go
// in, small invocations keep succeeding, no node loses its session, and the coordinator's own
// event-loop delay stays far below the failure detector's timeout.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { rawZip, type RawEntry } from '../packages/code/src/test-util/raw-zip.js';
import { testCluster } from './harness/cluster.js';
import { api, deploy, invoke } from './harness/lambda.js';

const ROLE = 'arn:aws:iam::000000000000:role/test';
const HANDLER = 'export const handler = async () => 1;\n';
// The defaults, given explicitly so that the bound below follows them.
const HEARTBEAT_MS = 200;
const MISS_LIMIT = 4;
const DETECTOR_TIMEOUT_MS = HEARTBEAT_MS * MISS_LIMIT;

interface NodeView {
  nodeId: string;
  sessionId: string;
  health: string;
}

interface LoopWindow {
  at: number;
  maxMs: number;
}

async function nodes(apiUrl: string): Promise<NodeView[]> {
  const res = await api(apiUrl, 'GET', '/zonesim/v1/zones');
  return (res.json.zones as Array<{ nodes: NodeView[] }>).flatMap((z) => z.nodes);
}

/** Polls `check` until it holds; false when `timeoutMs` passed first. */
async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/** A ~50 MB zip of random (incompressible) bytes, and one of 100,000 entries (the entry limit). */
function packages(): { big: Buffer; many: Buffer } {
  const big = rawZip([
    { name: 'index.mjs', content: HANDLER, method: 0 },
    { name: 'blob.bin', content: randomBytes(49 * 1024 * 1024), method: 0 },
  ]);
  const entries: RawEntry[] = [{ name: 'index.mjs', content: HANDLER, method: 0 }];
  for (let i = 1; i < 100_000; i++) entries.push({ name: `lib/${i % 100}/f${i}.js`, content: `export default ${i};\n`, method: 0 });
  return { big, many: rawZip(entries) };
}

t.test('big uploads do not stall the coordinator: invocations go on, no zone node is marked down', async (t) => {
  // Encoded before the cluster starts: 67 MB of base64 blocks this process too, not the coordinator.
  const { big, many } = packages();
  const createBody = (name: string, zip: Buffer): string =>
    JSON.stringify({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: zip.toString('base64') } });
  const bigBody = createBody('big', big);
  const manyBody = createBody('many', many);
  const updateBody = JSON.stringify({ ZipFile: big.toString('base64') });
  t.ok(bigBody.length > 65_000_000, `the CreateFunction body is ${bigBody.length} bytes`);

  const cluster = await testCluster(t, { zoneCount: 3, coordinatorArgs: ['--heartbeat-ms', String(HEARTBEAT_MS), '--miss-limit', String(MISS_LIMIT)] });
  t.equal((await deploy(cluster.apiUrl, 'small', { 'index.mjs': HANDLER })).status, 201);
  t.ok(await waitFor(async () => (await nodes(cluster.apiUrl)).filter((n) => n.health === 'healthy').length === 3), 'three healthy zone nodes');
  const before = await nodes(cluster.apiUrl);

  // Small invocations, one after another, for as long as the uploads take.
  let uploading = true;
  const outcomes = { ok: 0, failed: [] as string[] };
  const invoking = (async () => {
    while (uploading) {
      const res = await invoke(cluster.apiUrl, 'small');
      if (res.status === 200) outcomes.ok++;
      else outcomes.failed.push(`${res.status} ${res.errorType}: ${res.text.slice(0, 200)}`);
    }
  })();

  t.teardown(() => {
    uploading = false;
  });
  const startedAt = Date.now();
  const created = await api(cluster.apiUrl, 'POST', '/2015-03-31/functions', bigBody);
  t.equal(created.status, 201, `CreateFunction with a ${big.length}-byte zip: ${created.text.slice(0, 300)}`);
  t.equal(created.json?.CodeSize, big.length);
  const okBeforeMany = outcomes.ok;
  const createdMany = await api(cluster.apiUrl, 'POST', '/2015-03-31/functions', manyBody);
  t.equal(createdMany.status, 201, `CreateFunction with 100,000 entries: ${createdMany.text.slice(0, 300)}`);
  t.equal(createdMany.json?.CodeSize, many.length);
  const updated = await api(cluster.apiUrl, 'PUT', '/2015-03-31/functions/many/code', updateBody);
  t.equal(updated.status, 200, `UpdateFunctionCode with the ${big.length}-byte zip: ${updated.text.slice(0, 300)}`);
  t.equal(updated.json?.CodeSha256, created.json?.CodeSha256, 'same package, same CodeSha256');
  const endedAt = Date.now();

  // Past the detector's timeout after the last upload, seen from the coordinator's own clock (a
  // node silenced by a stall would have been declared down by then); a few seconds at most.
  let windows: LoopWindow[] = [];
  await waitFor(async () => {
    const stats = await api(cluster.apiUrl, 'GET', '/zonesim/v1/stats');
    windows = (stats.json?.eventLoop?.recent ?? []) as LoopWindow[];
    return windows.some((w) => w.at > endedAt + DETECTOR_TIMEOUT_MS);
  }, DETECTOR_TIMEOUT_MS + 4000);
  uploading = false;
  await invoking;

  t.same(outcomes.failed, [], 'no invocation failed while the packages went in');
  t.ok(okBeforeMany > 0 && outcomes.ok > okBeforeMany, `invocations kept succeeding during the uploads (${outcomes.ok})`);
  const after = await nodes(cluster.apiUrl);
  for (const node of before) {
    const now = after.find((n) => n.nodeId === node.nodeId);
    t.equal(now?.sessionId, node.sessionId, `${node.nodeId} kept its session (never marked down)`);
    t.equal(now?.health, 'healthy', `${node.nodeId} is healthy`);
  }
  // The windows that overlap the uploads (each closes one second after it opened).
  const during = windows.filter((w) => w.at >= startedAt && w.at <= endedAt + 2000);
  t.ok(during.length > 0, 'the coordinator reported its event-loop delay over the uploads');
  const worst = Math.max(0, ...during.map((w) => w.maxMs));
  t.ok(worst < DETECTOR_TIMEOUT_MS / 2, `the coordinator's event loop was never blocked for half the detector timeout (longest delay ${worst} ms, timeout ${DETECTOR_TIMEOUT_MS} ms)`);
});
