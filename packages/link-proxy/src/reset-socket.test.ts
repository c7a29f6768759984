// resetSocket on a socket whose FIN is in flight. libuv refuses a reset during a shutdown and Node 20
// then leaves the handle half closed: no 'close' event ever, and the process never exits (it spins
// in its exit-time handle cleanup). The socket must close either way.
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { resetSocket } from './connection.js';

async function pair(t: Test): Promise<{ server: Socket; client: Socket }> {
  const accepted: Socket[] = [];
  const listener = createServer({ allowHalfOpen: true }, (s) => accepted.push(s));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const client = connect((listener.address() as { port: number }).port, '127.0.0.1');
  client.on('error', () => undefined);
  client.resume();
  await once(client, 'connect');
  while (accepted.length === 0) await new Promise((r) => setImmediate(r));
  const server = accepted[0]!;
  server.on('error', () => undefined);
  t.teardown(() => {
    client.destroy();
    server.destroy();
    listener.close();
  });
  return { server, client };
}

/** Resolves true when `socket` emits 'close' within `ms`. */
function closesWithin(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

t.test('a reset while the FIN is in flight still closes the socket', async (t) => {
  const { server } = await pair(t);
  server.end();
  // Two ticks later Node has issued the shutdown and libuv has not finished it yet.
  await new Promise<void>((resolve) => process.nextTick(() => process.nextTick(resolve)));
  t.ok(server.writableEnded && !server.writableFinished, 'the shutdown is in flight');
  const closed = closesWithin(server, 2_000);
  resetSocket(server);
  t.ok(await closed, 'the socket closed');
});

t.test('an open socket is reset: the peer sees ECONNRESET', async (t) => {
  const { server, client } = await pair(t);
  const errors: string[] = [];
  client.on('error', (err: NodeJS.ErrnoException) => errors.push(err.code ?? ''));
  const closed = closesWithin(client, 2_000);
  resetSocket(server);
  t.ok(await closed, 'the peer closed');
  t.same(errors, ['ECONNRESET']);
});

t.test('a socket whose FIN went out is reset as well', async (t) => {
  const { server } = await pair(t);
  server.end();
  await once(server, 'finish');
  const closed = closesWithin(server, 2_000);
  resetSocket(server);
  t.ok(await closed, 'the socket closed');
});
