/**
 * The raw baseline of the zone-link leg: a bare `ws` server that decodes each msgpackr frame (the
 * codec and options of the real link) and answers with an `invoke-result`-shaped frame. No
 * validation, no routing, no environment. Prints `READY {"port":N}`.
 */
import { WebSocketServer } from 'ws';
import { msgpackCodec } from '@zonesim/protocol';
import { exitWithParent } from './child.js';
import { invokeResultFrame } from './frames.js';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 8 * 1024 * 1024 });
wss.on('connection', (ws) => {
  ws.on('message', (data: Buffer) => {
    const msg = msgpackCodec.decode(data) as { invocationId: string };
    ws.send(msgpackCodec.encode(invokeResultFrame(msg.invocationId)));
  });
});
wss.on('listening', () => {
  const address = wss.address();
  process.stdout.write(`READY ${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
exitWithParent(() => {
  for (const c of wss.clients) c.terminate();
  wss.close(() => process.exit(0));
});
