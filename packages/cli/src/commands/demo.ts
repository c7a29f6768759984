import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseScenario, formatScenarioErrors } from '@zonesim/scenario';
import { buildSampleZip } from '../sample-function.js';
import { ClusterSupervisor, runScenario } from '@zonesim/runner';
import { openInBrowser } from '../supervisor/open-url.js';
import { RunExit } from './run.js';

/** Flags of `zonesim demo`. */
export interface DemoFlags {
  zones: string;
  duration: string;
  isolation?: string;
  out?: string;
  quiet?: boolean;
  /** Run with the live dashboard: its URL printed (and opened where possible) at the start, its controls on, the cluster kept up at the end. */
  dashboard?: boolean;
  /** With `dashboard`: seconds the cluster stays up after the run. */
  hold?: string;
}

const FUNCTION_NAME = 'hello-zones';

/**
 * The failover demo as a scenario: a real Node.js function (the sample, from a zip) under steady
 * sync and async load on `zones` zones; one zone loses power a third of the way in and comes back
 * later. Durations in seconds are the load phase; the rest follows from it.
 */
export function demoScenario(options: { zones: number; durationSec: number; isolation?: string; zipPath: string }): string {
  const d = options.durationSec;
  const killAt = Math.round(d / 3);
  const restartAfter = Math.max(2, Math.round(d / 3));
  return `
name: failover-demo
description: A zone loses power under steady load and comes back; failover keeps events flowing.
seed: 1
duration: ${d}s
warmup: 3s
cooldown: 8s
cluster:
  zones: ${options.zones}
  heartbeat: 200ms
  missLimit: 4
  node: { maxEnvironments: 16${options.isolation ? `, isolation: ${options.isolation}` : ''} }
functions:
  - name: ${FUNCTION_NAME}
    path: ${JSON.stringify(options.zipPath)}
    handler: index.handler
    runtime: nodejs20.x
    memory: 256
    timeout: 10s
    environment: { GREETING_STYLE: friendly }
workload:
  - function: ${FUNCTION_NAME}
    arrival: { poisson: { rate: 15 } }
    payload: { name: class, workMs: 15 }
  - function: ${FUNCTION_NAME}
    invocation: async
    arrival: { constant: { rate: 5 } }
    payload: { name: async, workMs: 50 }
faults:
  - id: az-power-loss
    description: every host of the second zone loses power, and comes back
    action: kill
    target: { zone: az-b }
    at: ${killAt}s
    restartAfter: ${restartAfter}s
hypotheses:
  - id: steady-success
    description: outside the failure window, calls succeed
    successRate: { min: 0.99 }
  - id: fast-detection
    description: the coordinator marks the zone down within 1.5 s
    detection: { max: 1500ms }
  - id: nothing-lost
    description: every accepted async event is delivered
    lostEvents: {}
`;
}

/**
 * `zonesim demo` (and `npm run demo`): the failover demo. A 3-zone cluster of real processes, the
 * sample function deployed from a zip built on the fly, steady load, one zone killed mid-run and
 * restarted, then the run's report (latency, throughput per zone, cold starts, cost) and the
 * verdict on its hypotheses, in under a minute. The results directory keeps the report.
 */
export async function runDemoCommand(flags: DemoFlags): Promise<number> {
  const zones = Number(flags.zones);
  const durationSec = Number(flags.duration);
  if (!Number.isInteger(zones) || zones < 2 || zones > 26) throw new Error('--zones must be an integer from 2 to 26 (one of them fails)');
  if (!Number.isInteger(durationSec) || durationSec < 6 || durationSec > 3600) throw new Error('--duration must be a whole number of seconds from 6 to 3600');
  const outDir = resolve(flags.out ?? join('results', `demo-${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}`));
  await mkdir(outDir, { recursive: true });
  const zipPath = join(outDir, `${FUNCTION_NAME}.zip`);
  await writeFile(zipPath, await buildSampleZip());
  const text = demoScenario({ zones, durationSec, zipPath, ...(flags.isolation ? { isolation: flags.isolation } : {}) });
  await writeFile(join(outDir, 'demo.yaml'), text);
  const loaded = await parseScenario(text, { file: join(outDir, 'demo.yaml'), baseDir: outDir });
  if (!loaded.scenario) throw new Error(`the demo scenario is invalid:\n${formatScenarioErrors(loaded.errors)}`);

  const out = process.stdout;
  out.write(`zonesim failover demo: ${zones} zones, the sample function ${FUNCTION_NAME} (a real Node.js handler from a zip),\n`);
  out.write(`${durationSec} s of steady sync and async load; zone az-b loses power at ${Math.round(durationSec / 3)} s and comes back later.\n\n`);
  const hold = Number(flags.hold ?? 30);
  if (flags.dashboard && (!Number.isFinite(hold) || hold < 0 || hold > 86_400)) throw new Error('--hold must be a number of seconds from 0 to 86400');
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const result = await runScenario(loaded.scenario, {
      outDir,
      signal: controller.signal,
      quiet: flags.quiet === true,
      ...(flags.dashboard
        ? {
            supervisor: new ClusterSupervisor({ resultsDir: join(outDir, 'dashboard-runs'), log: (text) => out.write(`  dashboard: ${text}\n`) }),
            holdClusterMs: hold * 1000,
            onClusterReady: async ({ apiUrl }: { apiUrl: string }) => {
              out.write(`\nLive dashboard: ${apiUrl}/  (the cluster stays up ${hold} s after the run; its Kill, Freeze, ... buttons work too)\n`);
              const how = await openInBrowser(`${apiUrl}/`);
              if (how) out.write(`Opened it with ${how}.\n`);
              out.write('\n');
            },
          }
        : {}),
      beforeLoad: async ({ invokeWithLog }) => {
        const log = await invokeWithLog(FUNCTION_NAME, { name: 'class', workMs: 15 });
        if (log) out.write(`The first invocation's Lambda log (X-Amz-Log-Type: Tail):\n${indent(log)}\n`);
      },
    });
    if (result.report) out.write(`\n${result.report.table}\n`);
    out.write(`\n${result.text}\n`);
    out.write(`\nReport: ${result.report?.files.html ?? '(none)'}\nResults: ${result.outDir}\n`);
    out.write('Open the report in a browser; `zonesim check` re-judges the run from its files.\n');
    if (result.aborted) return RunExit.Interrupted;
    return result.verdict.status === 'pass' ? RunExit.Pass : RunExit.Fail;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function indent(text: string): string {
  return text.trimEnd().split('\n').map((l) => `    ${l}`).join('\n') + '\n';
}
