// A loopback HTTP barrier for tests whose handlers must all be running at once: a handler fetches
// the barrier's URL and holds its environment until every party has arrived. Timed holds are not
// enough on a loaded machine, where the first invocation can finish before the last is placed.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';

/**
 * A loopback HTTP barrier: each request is answered only once `parties` requests have arrived
 * (or after `timeoutMs`, so that a missing party fails the test's assertions rather than hanging it).
 */
export async function barrier(t: Test, parties: number, timeoutMs = 30_000): Promise<string> {
  const waiting: ServerResponse[] = [];
  const release = () => { for (const res of waiting.splice(0)) res.end('go'); };
  const timer = setTimeout(release, timeoutMs);
  const server = createServer((_req, res) => {
    waiting.push(res);
    if (waiting.length >= parties) { clearTimeout(timer); release(); }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => { clearTimeout(timer); release(); server.close(); });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}
