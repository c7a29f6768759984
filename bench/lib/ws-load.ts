import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { msgpackCodec } from '@zonesim/protocol';
import { invokeFrame } from './frames.js';
import { Samples } from './stats.js';

/**
 * Sequential round trips over one WebSocket to the bare echo server: an `invoke`-shaped frame out,
 * an `invoke-result`-shaped frame back, both through the link's msgpackr codec.
 */
export async function wsRoundTrips(port: number, count: number): Promise<Samples> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const samples = new Samples(count);
  try {
    let pending: ((data: Buffer) => void) | undefined;
    ws.on('message', (data: Buffer) => pending?.(data));
    for (let i = 0; i < count; i++) {
      const id = randomUUID();
      const t0 = performance.now();
      const reply = await new Promise<Buffer>((resolve) => {
        pending = resolve;
        ws.send(msgpackCodec.encode(invokeFrame(id)));
      });
      const msg = msgpackCodec.decode(reply) as { invocationId: string };
      samples.add(performance.now() - t0);
      if (msg.invocationId !== id) throw new Error('ws echo answered another invocation');
    }
  } finally {
    ws.terminate();
  }
  return samples;
}
