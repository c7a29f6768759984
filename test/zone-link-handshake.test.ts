// Issue 2, must show: a zone node with a wrong token or protocol version is refused with a close code
// and a logged reason; malformed and oversize frames close only their own link.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import t from 'tap';
import WebSocket from 'ws';
import { CloseCode, PROTOCOL_VERSION, msgpackCodec } from '@zonesim/protocol';
import { ZONESIM_BIN, TOKEN_ENV } from '@zonesim/cli';
import { testCluster, tempDir } from './harness/cluster.js';
import { deploy, invoke } from './harness/lambda.js';

function hello(token: string, version = PROTOCOL_VERSION) {
  return {
    type: 'hello', protocolVersion: version, clusterToken: token, zone: 'az-x', nodeId: `rogue-${Math.random()}`,
    capacity: { memoryMb: 1024, maxEnvironments: 2 }, isolation: 'process', runtimes: ['nodejs20.x'],
  };
}

/** Opens a link, sends the given frames, and resolves with the close code and reason. */
function closeCodeAfter(url: string, frames: Array<Uint8Array | string>): Promise<{ code: number; reason: string; welcomed: boolean }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { maxPayload: 64 * 1024 * 1024 });
    let welcomed = false;
    ws.on('open', () => {
      for (const f of frames) ws.send(f, { binary: typeof f !== 'string' });
    });
    ws.on('message', (data) => {
      const m = msgpackCodec.decode(data as Buffer) as { type: string };
      if (m.type === 'welcome') welcomed = true;
    });
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), welcomed }));
    ws.on('error', reject);
    setTimeout(() => ws.terminate(), 8000).unref();
  });
}

t.test('the zone link refuses bad peers with meaningful close codes', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  const url = cluster.zoneUrl;

  const wrongToken = await closeCodeAfter(url, [msgpackCodec.encode(hello('not-the-token'))]);
  t.equal(wrongToken.code, CloseCode.Unauthorized);
  t.equal(wrongToken.welcomed, false);
  t.match(wrongToken.reason, /wrong cluster token/);

  const wrongVersion = await closeCodeAfter(url, [msgpackCodec.encode(hello(cluster.token, PROTOCOL_VERSION + 1))]);
  t.equal(wrongVersion.code, CloseCode.VersionMismatch);
  t.match(wrongVersion.reason, /protocol version/);

  const notHello = await closeCodeAfter(url, [msgpackCodec.encode({ type: 'heartbeat', seq: 1, sentAt: 1, busyEnvironments: 0, idleEnvironments: 0 })]);
  t.equal(notHello.code, CloseCode.HandshakeViolation);

  const garbage = await closeCodeAfter(url, [Buffer.from([0xc1, 0xc1, 0xc1])]);
  t.equal(garbage.code, CloseCode.Malformed);

  const text = await closeCodeAfter(url, ['{"type":"hello"}']);
  t.equal(text.code, CloseCode.Malformed);

  const oversize = await closeCodeAfter(url, [Buffer.alloc(9 * 1024 * 1024)]);
  t.equal(oversize.code, CloseCode.TooBig);

  const welcomedThenBad = await closeCodeAfter(url, [msgpackCodec.encode(hello(cluster.token)), msgpackCodec.encode({ type: 'invoke-result' })]);
  t.equal(welcomedThenBad.welcomed, true, 'a good hello is welcomed');
  t.equal(welcomedThenBad.code, CloseCode.Malformed);

  const log = await readFile(join(cluster.dataDir, 'logs', 'coordinator.log'), 'utf8');
  t.match(log, /"reason":"wrong cluster token"/, 'the refusal reason is logged');
  t.match(log, /"closeCode":4000/);

  // None of that harmed the coordinator or the real zone node.
  t.equal((await deploy(cluster.apiUrl, 'ok', { 'index.mjs': 'export const handler = async () => "fine";' })).status, 201);
  const res = await invoke(cluster.apiUrl, 'ok', {});
  t.equal(res.json, 'fine');
});

t.test('a zone-node process with a wrong token exits with the reason', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  const dir = await tempDir(t);
  const child = spawn(process.execPath, [ZONESIM_BIN, 'zone', '--coordinator', cluster.zoneUrl, '--zone', 'az-z', '--data-dir', dir], {
    env: { ...process.env, [TOKEN_ENV]: 'wrong' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  t.equal(code, 2, 'exits with code 2');
  t.match(stderr, /refused this node/);
  t.match(stderr, /wrong cluster token/);
});
