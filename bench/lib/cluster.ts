import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildZip, type ZipInput } from '@zonesim/code';
import { startLocalCluster, type LocalCluster, type LocalClusterOptions } from '@zonesim/cli';
import { onCleanup } from './cleanup.js';

/** A local cluster for one benchmark, in a temp directory; `stop()` reaps every process and removes it. */
export interface BenchCluster extends LocalCluster {
  dataDir: string;
}

/**
 * Starts real coordinator and zone-node processes (startLocalCluster) on 127.0.0.1 with an
 * ephemeral port. Registered for cleanup, so an error or Ctrl-C still stops them.
 */
export async function startBenchCluster(options: Partial<LocalClusterOptions> = {}): Promise<BenchCluster> {
  const dataDir = await mkdtemp(join(tmpdir(), 'zonesim-bench-'));
  let stopCluster: (() => Promise<void>) | undefined;
  const stop = onCleanup('cluster', async () => {
    await stopCluster?.();
    await rm(dataDir, { recursive: true, force: true });
  });
  let cluster: LocalCluster;
  try {
    cluster = await startLocalCluster({
      zoneCount: 3,
      port: 0,
      host: '127.0.0.1',
      logToFiles: true,
      stopGraceMs: 5000,
      readyTimeoutMs: 60_000,
      // The cluster runs as users run it: without this process's NODE_OPTIONS (loaders, hooks).
      withoutNodeOptions: true,
      ...options,
      dataDir,
    });
    stopCluster = cluster.stop;
  } catch (err) {
    await stop();
    throw err;
  }
  return Object.assign(cluster, { dataDir, stop: () => stop() });
}

/** The no-op Node function of the warm-invoke and throughput benchmarks. */
export const NOOP_FILES = {
  'index.mjs': 'export const handler = async () => null;\n',
};

/** A synthetic function's package: only `synthetic.json` (packages/common/src/synthetic-function.ts). */
export function syntheticFiles(durationMs: number, initMs = 0, memoryMb = 64): Record<string, string> {
  return {
    'synthetic.json': JSON.stringify({
      init: { kind: 'constant', value: initMs },
      duration: { kind: 'constant', value: durationMs },
      memory: { kind: 'constant', value: memoryMb },
    }),
  };
}

/** A control-plane call to the Lambda API; throws unless the status is `expect`. */
export async function lambdaApi(apiUrl: string, method: string, path: string, body?: unknown, expect?: number): Promise<any> {
  const res = await fetch(apiUrl + path, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (expect !== undefined && res.status !== expect) throw new Error(`${method} ${path}: expected ${expect}, got ${res.status}: ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : undefined;
}

/** CreateFunction from files zipped on the fly. */
export async function createFunction(apiUrl: string, name: string, files: Record<string, ZipInput>, config: Record<string, unknown> = {}): Promise<void> {
  const zip = await buildZip(files);
  await lambdaApi(apiUrl, 'POST', '/2015-03-31/functions', {
    FunctionName: name,
    Runtime: 'nodejs20.x',
    Role: 'arn:aws:iam::000000000000:role/bench',
    Handler: 'index.handler',
    Code: { ZipFile: Buffer.from(zip).toString('base64') },
    ...config,
  }, 201);
}

/** DeleteFunction. */
export async function deleteFunction(apiUrl: string, name: string): Promise<void> {
  await lambdaApi(apiUrl, 'DELETE', `/2015-03-31/functions/${encodeURIComponent(name)}`, undefined, 204);
}

/** The invoke path of a function. */
export function invokePath(name: string): string {
  return `/2015-03-31/functions/${encodeURIComponent(name)}/invocations`;
}
