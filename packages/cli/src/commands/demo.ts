import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultZoneNames, startLocalCluster, type LocalCluster } from '../cluster.js';
import { createFunction, invokeFunction, type InvokeOutcome } from '../lambda-http.js';
import { buildSampleZip } from '../sample-function.js';
import { onShutdownSignal } from '../signals.js';
import { percentile, renderTable } from '../table.js';

/** Flags of `zonesim demo`. */
export interface DemoFlags {
  zones: string;
  invocations: string;
  isolation?: string;
  keep?: boolean;
}

const FUNCTION_NAME = 'hello-zones';

/**
 * `zonesim demo` (and `npm run demo`): a 3-zone cluster of real processes, a sample function
 * deployed from a zip built on the fly, a few dozen invocations in waves (a concurrent burst that
 * starts cold environments across zones, then sequential warm calls, then more bursts), and a table
 * of where each ran, cold or warm, latency and billed time.
 */
export async function runDemoCommand(flags: DemoFlags): Promise<number> {
  const total = Number(flags.invocations);
  if (!Number.isInteger(total) || total < 1 || total > 10_000) throw new Error('--invocations must be an integer from 1 to 10000');
  const out = process.stdout;
  const dataDir = await mkdtemp(join(tmpdir(), 'zonesim-demo-'));
  let cluster: LocalCluster | undefined;
  const cleanup = async (): Promise<void> => {
    await cluster?.stop();
    if (!flags.keep) await rm(dataDir, { recursive: true, force: true });
  };
  onShutdownSignal(cleanup);
  try {
    const zones = defaultZoneNames(Number(flags.zones));
    out.write(`Starting a ${zones.length}-zone cluster (a coordinator and one zone-node process per zone)...\n`);
    cluster = await startLocalCluster({
      zones,
      dataDir,
      zoneArgs: flags.isolation ? ['--isolation', flags.isolation] : [],
    });
    out.write(`  Lambda API at ${cluster.apiUrl}; zone nodes: ${cluster.zoneNodes.map((z) => `${z.zone} (pid ${z.handle.pid})`).join(', ')}\n\n`);

    const zip = await buildSampleZip();
    const config = await createFunction(cluster.apiUrl, {
      FunctionName: FUNCTION_NAME,
      Runtime: 'nodejs20.x',
      Role: 'arn:aws:iam::000000000000:role/demo',
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 10,
      Code: { ZipFile: zip.toString('base64') },
      Environment: { Variables: { GREETING_STYLE: 'friendly' } },
    });
    out.write(`Deployed ${FUNCTION_NAME} from a ${zip.length}-byte zip (CodeSha256 ${String(config['CodeSha256'])}, state ${String(config['State'])})\n\n`);

    const results: Array<InvokeOutcome & { n: number; wave: string }> = [];
    let n = 0;
    const run = async (wave: string, count: number, concurrent: boolean): Promise<void> => {
      const one = async (): Promise<void> => {
        const i = ++n;
        const r = await invokeFunction(cluster!.apiUrl, FUNCTION_NAME, { n: i, name: 'class', workMs: 15 }, { tail: i === 1 });
        results.push({ ...r, n: i, wave });
      };
      if (concurrent) await Promise.all(Array.from({ length: count }, one));
      else for (let i = 0; i < count; i++) await one();
    };
    const burst = Math.max(1, Math.min(6, Math.floor(total / 4)));
    const waves: Array<[string, number, boolean]> = [
      ['burst', burst, true],
      ['sequential', Math.max(0, Math.min(12, total - burst)), false],
    ];
    let left = total - waves.reduce((s, w) => s + w[1], 0);
    while (left > 0) {
      const size = Math.min(left, burst + 3);
      waves.push(['burst', size, true]);
      left -= size;
    }
    for (const [wave, count, concurrent] of waves) await run(wave, count, concurrent);

    results.sort((a, b) => a.n - b.n);
    const first = results[0];
    if (first?.logTail) out.write(`The first invocation's log (X-Amz-Log-Type: Tail):\n${indent(first.logTail)}\n`);
    out.write(renderTable(
      ['#', 'wave', 'zone', 'environment', 'start', 'init ms', 'duration ms', 'billed ms', 'max mem MB', 'latency ms'],
      results.map((r) => [
        r.n,
        r.wave,
        r.zone,
        r.environment,
        r.cold ? 'cold' : 'warm',
        r.initMs === undefined ? '-' : r.initMs.toFixed(1),
        r.durationMs.toFixed(1),
        r.billedMs,
        r.maxMemoryUsedMb,
        r.latencyMs.toFixed(1),
      ]),
    ));
    out.write('\nPer zone:\n');
    out.write(renderTable(
      ['zone', 'invocations', 'cold', 'warm', 'environments', 'p50 latency ms', 'p99 latency ms', 'billed ms'],
      zones.map((zone) => {
        const rs = results.filter((r) => r.zone === zone);
        const lat = rs.map((r) => r.latencyMs);
        return [
          zone,
          rs.length,
          rs.filter((r) => r.cold).length,
          rs.filter((r) => !r.cold).length,
          new Set(rs.map((r) => r.environment)).size,
          rs.length ? percentile(lat, 50).toFixed(1) : '-',
          rs.length ? percentile(lat, 99).toFixed(1) : '-',
          rs.reduce((s, r) => s + r.billedMs, 0),
        ];
      }),
    ));
    const errors = results.filter((r) => r.functionError).length;
    const cold = results.filter((r) => r.cold);
    const warm = results.filter((r) => !r.cold);
    out.write(
      `\n${results.length} invocations, ${errors} errors; ${cold.length} cold starts ` +
        `(p50 ${percentile(cold.map((r) => r.latencyMs), 50).toFixed(1)} ms), ${warm.length} warm ` +
        `(p50 ${warm.length ? percentile(warm.map((r) => r.latencyMs), 50).toFixed(1) : '-'} ms); ` +
        `billed ${results.reduce((s, r) => s + r.billedMs, 0)} ms in all.\n`,
    );
    out.write('Cold starts ran INIT once per environment; warm invocations reused an environment in the same zone.\n');
    if (flags.keep) out.write(`Data and logs kept in ${dataDir}\n`);
    return errors === 0 ? 0 : 1;
  } finally {
    await cleanup();
  }
}

function indent(text: string): string {
  return text.trimEnd().split('\n').map((l) => `    ${l}`).join('\n') + '\n';
}
