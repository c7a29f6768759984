// Issue 2, must show: a fuzz test sends thousands of random and mutated frames to both ends of the
// zone link without a crash. Seeded: set ZONESIM_FUZZ_SEED to replay a run.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
import t from 'tap';
import WebSocket, { WebSocketServer } from 'ws';
import { PROTOCOL_VERSION, msgpackCodec, parseZoneFrame } from '@zonesim/protocol';
import { ZONESIM_BIN, TOKEN_ENV } from '@zonesim/cli';
import { testCluster, tempDir } from './harness/cluster.js';
import { fuzzFrame, prng } from './harness/fuzz.js';
import { deploy, invoke, api } from './harness/lambda.js';
import { isAlive } from './harness/processes.js';

const SEED = Number(process.env['ZONESIM_FUZZ_SEED'] ?? Date.now() % 1e9);
const FRAMES_PER_END = 3000;

const SPEC = {
  specKey: 'f:$LATEST:1', functionName: 'f', version: '$LATEST', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f',
  codeSha256Hex: 'a'.repeat(64), handler: 'index.handler', runtime: 'nodejs20.x', memoryMb: 128, timeoutSec: 3,
  architecture: 'x86_64', environment: {}, region: 'us-east-1',
};

t.comment(`fuzz seed ${SEED}`);

t.test('the coordinator survives thousands of random and mutated zone frames', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  const rand = prng(SEED);
  const validZoneFrames = [
    { type: 'hello', protocolVersion: PROTOCOL_VERSION, clusterToken: cluster.token, zone: 'az-f', nodeId: 'fuzz', capacity: { memoryMb: 1024, maxEnvironments: 4 }, isolation: 'process', runtimes: [] },
    { type: 'heartbeat', seq: 1, sentAt: Date.now(), busyEnvironments: 0, idleEnvironments: 0 },
    { type: 'pong', seq: 1, sentAt: Date.now() },
    { type: 'invoke-accepted', invocationId: 'i-1' },
    { type: 'invoke-rejected', invocationId: 'i-1', error: { code: 'NODE_AT_CAPACITY', message: 'full' } },
    { type: 'environment-evicted', environmentId: 'e-1', specKey: 'k', reason: 'idle' },
    {
      type: 'invoke-result', invocationId: 'i-2', outcome: 'success', payload: Buffer.from('1'),
      placement: { zone: 'az-f', nodeId: 'fuzz', environmentId: 'e', cold: true },
      timings: { receivedAt: 1, startedAt: 1, endedAt: 2, durationMs: 1, billedMs: 1, memorySizeMb: 128, maxMemoryUsedMb: 1 },
      environmentKept: true,
    },
  ];
  let sent = 0;
  let valid = 0;
  let resets = 0;
  // Several links at once; each sends hello (most of the time) then fuzz until the coordinator
  // closes it, then reconnects.
  const worker = async (id: number): Promise<void> => {
    while (sent < FRAMES_PER_END) {
      const ws = new WebSocket(cluster.zoneUrl, { maxPayload: 16 * 1024 * 1024 });
      const closed = once(ws, 'close');
      ws.on('error', () => undefined);
      const opened = await new Promise<boolean>((resolve) => {
        ws.once('open', () => resolve(true));
        ws.once('close', () => resolve(false));
      });
      if (!opened) {
        // A connection refused or reset under load is the client's problem, not the coordinator's;
        // whether the coordinator survived is checked at the end.
        resets++;
        continue;
      }
      if (rand() < 0.8) ws.send(msgpackCodec.encode({ ...validZoneFrames[0], nodeId: `fuzz-${id}` }));
      for (let i = 0; i < 20 && ws.readyState === WebSocket.OPEN; i++) {
        const frame = fuzzFrame(rand, validZoneFrames);
        if (parseZoneFrame(msgpackCodec, frame).ok) valid++;
        ws.send(frame);
        sent++;
      }
      ws.close();
      await closed;
    }
  };
  await Promise.all([0, 1, 2, 3].map(worker));
  t.ok(sent >= FRAMES_PER_END, `sent ${sent} frames (${valid} of them valid messages; ${resets} connections reset)`);
  t.ok(isAlive(cluster.coordinator.pid), 'coordinator process alive');
  const health = await api(cluster.apiUrl, 'GET', '/zonesim/v1/health');
  t.equal(health.status, 200);
  t.equal((await deploy(cluster.apiUrl, 'after', { 'index.mjs': 'export const handler = async () => "still here";' })).status, 201);
  const res = await invoke(cluster.apiUrl, 'after', {});
  t.equal(res.json, 'still here', 'the real zone node still runs invocations');
});

t.test('a zone node survives thousands of random and mutated coordinator frames', async (t) => {
  const rand = prng(SEED + 1);
  const validCoordinatorFrames = [
    { type: 'welcome', protocolVersion: PROTOCOL_VERSION, sessionId: 's-1', heartbeatIntervalMs: 1000, codeBaseUrl: 'http://127.0.0.1:9/code' },
    { type: 'ping', seq: 1, sentAt: Date.now() },
    { type: 'error', error: { code: 'INTERNAL', message: 'x' } },
    { type: 'invoke', invocationId: 'i-1', requestId: 'r-1', fn: SPEC, payload: Buffer.from('{}'), invokedFunctionArn: SPEC.functionArn, logTail: false, acceptBy: Date.now() + 3_600_000 },
  ];
  // A fake coordinator: welcomes the real zone-node process, then fuzzes it.
  const http = createServer();
  const wss = new WebSocketServer({ server: http, maxPayload: 16 * 1024 * 1024 });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  t.teardown(() => {
    for (const c of wss.clients) c.terminate();
    wss.close();
    http.close();
  });
  const port = (http.address() as { port: number }).port;
  let sent = 0;
  let sessions = 0;
  let answers = 0;
  let done: () => void;
  const finished = new Promise<void>((r) => (done = r));
  wss.on('connection', (ws) => {
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      const m = msgpackCodec.decode(data as Buffer) as { type: string };
      if (m.type === 'invoke-rejected' || m.type === 'invoke-result') answers++;
      if (m.type !== 'hello') return;
      sessions++;
      ws.send(msgpackCodec.encode(validCoordinatorFrames[0]));
      for (let i = 0; i < 25 && ws.readyState === WebSocket.OPEN; i++) {
        ws.send(fuzzFrame(rand, validCoordinatorFrames));
        sent++;
      }
      if (sent >= FRAMES_PER_END) done();
      else ws.close(1001, 'next round');
    });
  });
  const dir = await tempDir(t);
  const child = spawn(process.execPath, [
    ZONESIM_BIN, 'zone', '--coordinator', `ws://127.0.0.1:${port}/`, '--zone', 'az-f', '--data-dir', dir,
    '--reconnect-min-ms', '1', '--reconnect-max-ms', '5',
  ], { env: { ...process.env, [TOKEN_ENV]: 'fuzz' }, stdio: ['ignore', 'ignore', process.env['ZONESIM_TEST_LOGS'] === '1' ? 'inherit' : 'ignore'] });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  // If the node dies, fail at once with its exit status instead of waiting for the test timeout.
  const died = once(child, 'exit').then(([code, signal]) => {
    throw new Error(`the zone node exited during the fuzz run (code ${code}, signal ${signal}); seed ${SEED}`);
  });
  await Promise.race([finished, died]);
  t.ok(sent >= FRAMES_PER_END, `sent ${sent} frames over ${sessions} sessions; ${answers} invocations answered`);
  t.ok(sessions > 1, 'the node redialled after each dropped link');
  t.ok(isAlive(child.pid!), 'zone node process alive');
  t.equal(child.exitCode, null);
  died.catch(() => undefined);
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = await exited;
  t.equal(code, 0, 'and it still stops cleanly');
});
