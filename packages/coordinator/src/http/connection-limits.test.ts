import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { ConnectionLimits } from './connection-limits.js';

/** A server whose handler holds every request until released. */
async function heldServer(t: Test, maxConnections: number) {
  const limits = new ConnectionLimits({ headersTimeoutMs: 5000, requestTimeoutMs: 10_000, keepAliveTimeoutMs: 5000, maxConnections, checkIntervalMs: 1000 });
  const held: ServerResponse[] = [];
  let handled = 0;
  const server = createServer(limits.serverOptions(), (req: IncomingMessage, res: ServerResponse) => {
    if (!limits.admitted(req.socket)) return req.socket.destroy();
    handled++;
    held.push(res);
  });
  limits.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sockets: Socket[] = [];
  t.teardown(() => {
    sockets.forEach((s) => s.destroy());
    server.closeAllConnections();
    server.close();
  });
  const port = (server.address() as { port: number }).port;
  const open = (): Socket => {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => {});
    sockets.push(s);
    return s;
  };
  return { limits, held, open, handled: () => handled };
}

const once = (s: Socket, event: string): Promise<void> => new Promise((resolve) => s.once(event, () => resolve()));
const answer = (s: Socket): Promise<string> => new Promise((resolve) => {
  let text = '';
  s.on('data', (c) => (text += c.toString()));
  s.once('close', () => resolve(text));
});

t.test('the longest-idle connection makes room for a new one', async (t) => {
  const { limits, open } = await heldServer(t, 2);
  const first = open();
  await once(first, 'connect');
  const second = open();
  await once(second, 'connect');
  const firstClosed = once(first, 'close');
  const third = open();
  await once(third, 'connect');
  await firstClosed;
  t.same(limits.counts(), { open: 2, idle: 2, evicted: 1, refused: 0 });
});

t.test('when every connection has a request in flight, a new one gets 429 and its request never runs', async (t) => {
  const { limits, open, handled } = await heldServer(t, 2);
  for (let i = 0; i < 2; i++) {
    const s = open();
    await once(s, 'connect');
    s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  }
  while (handled() < 2) await new Promise((r) => setTimeout(r, 10));
  const extra = open();
  const text = answer(extra);
  await once(extra, 'connect');
  extra.write('POST /2015-03-31/functions HTTP/1.1\r\nHost: x\r\ncontent-length: 2\r\n\r\n{}');
  const got = await text;
  t.match(got, /^HTTP\/1\.1 429 Too Many Requests/);
  t.match(got, /x-amzn-errortype: TooManyRequestsException/);
  t.equal(handled(), 2, 'the refused connection\'s request was not handled');
  t.same(limits.counts(), { open: 2, idle: 0, evicted: 0, refused: 1 });
});
