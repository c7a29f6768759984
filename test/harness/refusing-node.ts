// A fake zone node, written as issue 15's testers wrote theirs: with a stolen cluster token it says
// hello, advertises far more room than any real node, answers the coordinator's pings so that the
// silence detector sees a healthy node, and refuses every invocation before accepting it.
import WebSocket from 'ws';
import { msgpackCodec, PROTOCOL_VERSION, type CoordinatorMessage, type ZoneMessage } from '@zonesim/protocol';

/** A connected refusing node. */
export interface RefusingNode {
  /** Request ids of the invocations it was offered (and refused). */
  readonly offered: string[];
  close(): Promise<void>;
}

/** Connects to `zoneUrl` with `token` as node `nodeId` in `zone`, refusing every invoke with `code`. */
export async function startRefusingNode(args: { zoneUrl: string; token: string; zone: string; nodeId: string; code: string }): Promise<RefusingNode> {
  const ws = new WebSocket(args.zoneUrl, { perMessageDeflate: false });
  const send = (m: ZoneMessage): void => ws.send(msgpackCodec.encode(m));
  const offered: string[] = [];
  let heartbeat: NodeJS.Timeout | undefined;
  let seq = 0;
  const welcomed = new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('close', (code, reason) => reject(new Error(`refused: ${code} ${reason.toString()}`)));
    ws.on('message', (data: Buffer) => {
      const m = msgpackCodec.decode(data) as CoordinatorMessage;
      if (m.type === 'welcome') {
        heartbeat = setInterval(() => send({ type: 'heartbeat', seq: seq++, sentAt: Date.now(), busyEnvironments: 0, idleEnvironments: 0 }), m.heartbeatIntervalMs);
        resolve();
      } else if (m.type === 'ping') {
        send({ type: 'pong', seq: m.seq, sentAt: m.sentAt });
      } else if (m.type === 'invoke') {
        offered.push(m.requestId);
        send({ type: 'invoke-rejected', invocationId: m.invocationId, error: { code: args.code, message: 'no capacity' } });
      }
    });
  });
  ws.once('open', () =>
    send({
      type: 'hello',
      protocolVersion: PROTOCOL_VERSION,
      clusterToken: args.token,
      zone: args.zone,
      nodeId: args.nodeId,
      capacity: { memoryMb: 1_000_000, maxEnvironments: 10_000 },
      isolation: 'process',
      runtimes: ['nodejs20.x', 'nodejs22.x'],
    }),
  );
  await welcomed;
  return {
    offered,
    close: async () => {
      clearInterval(heartbeat);
      if (ws.readyState === WebSocket.CLOSED) return;
      const closed = new Promise((resolve) => ws.once('close', resolve));
      ws.terminate();
      await closed;
    },
  };
}
