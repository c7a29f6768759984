/**
 * The raw baseline: a bare `node:http` server that answers every POST with a small JSON body, as
 * a no-op function's invoke would be answered. `?hold=MS` answers after MS milliseconds (to hold
 * requests open, the scale benchmark's baseline) and `GET /held` says how many are held now.
 * Prints `READY {"port":N}`.
 */
import { createServer } from 'node:http';
import { exitWithParent } from './child.js';

const BODY = Buffer.from('{"ok":true}');
let held = 0;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const q = req.url?.indexOf('?hold=') ?? -1;
    const answer = (): void => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
      res.end(BODY);
    };
    if (req.url === '/held') {
      res.end(String(held));
    } else if (q >= 0) {
      held++;
      setTimeout(() => {
        held--;
        answer();
      }, Number(req.url!.slice(q + 6)));
    } else {
      answer();
    }
  });
});
// Same as the coordinator's API server: Node's defaults apart from keep-alive, which must outlast
// the client's pauses between rounds.
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`READY ${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
exitWithParent(() => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
