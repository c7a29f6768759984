import { resolve } from 'node:path';
import { ZoneNode, parseKeepAlivePolicy, type CpuModel, type IsolationMode, type SandboxMode } from '@zonesim/zone-node';
import { formatReadyLine } from '@zonesim/common';
import { exitWithParent, onShutdownSignal } from '../signals.js';
import { tokenFrom } from '../token.js';

/** Flags of `zonesim zone`. */
export interface ZoneCommandFlags {
  coordinator: string;
  zone: string;
  nodeId?: string;
  token?: string;
  tokenFile?: string;
  dataDir: string;
  memoryMb?: string;
  maxEnvironments?: string;
  spareRuntimes?: string;
  isolation?: string;
  sandbox?: string;
  cpuModel?: string;
  pidsMax?: string;
  memoryPollMs?: string;
  keepAliveMs?: string;
  /** `fixed` or `hybrid-histogram[:name=value,...]` (issue 18). */
  keepAlivePolicy?: string;
  reconnectMinMs?: string;
  timeScale?: string;
  reconnectMaxMs?: string;
  exitWithParent?: boolean;
}

/** `zonesim zone`: runs one zone node in this process until SIGINT/SIGTERM. */
export async function runZoneCommand(flags: ZoneCommandFlags): Promise<number | void> {
  const node = new ZoneNode({
    coordinatorUrl: flags.coordinator,
    clusterToken: tokenFrom(flags.token, flags.tokenFile),
    zone: flags.zone,
    dataDir: resolve(flags.dataDir),
    ...(flags.nodeId ? { nodeId: flags.nodeId } : {}),
    ...(flags.memoryMb ? { memoryMb: Number(flags.memoryMb) } : {}),
    ...(flags.maxEnvironments ? { maxEnvironments: Number(flags.maxEnvironments) } : {}),
    ...(flags.spareRuntimes !== undefined ? { spareRuntimes: Number(flags.spareRuntimes) } : {}),
    ...(flags.isolation ? { isolation: flags.isolation as IsolationMode } : {}),
    ...(flags.sandbox ? { sandbox: flags.sandbox as SandboxMode } : {}),
    ...(flags.cpuModel ? { cpuModel: flags.cpuModel as CpuModel } : {}),
    ...(flags.pidsMax ? { pidsMax: Number(flags.pidsMax) } : {}),
    ...(flags.memoryPollMs ? { memoryPollMs: Number(flags.memoryPollMs) } : {}),
    ...(flags.keepAliveMs ? { keepAliveMs: Number(flags.keepAliveMs) } : {}),
    ...(flags.keepAlivePolicy ? { keepAlivePolicy: parseKeepAlivePolicy(flags.keepAlivePolicy) } : {}),
    ...(flags.reconnectMinMs ? { reconnectMinMs: Number(flags.reconnectMinMs) } : {}),
    ...(flags.timeScale ? { timeScale: Number(flags.timeScale) } : {}),
    ...(flags.reconnectMaxMs ? { reconnectMaxMs: Number(flags.reconnectMaxMs) } : {}),
  });
  node.on('fatal', (code: number, reason: string) => {
    // Before start() resolves, its rejection reports the refusal; afterwards this does.
    if (node.state !== 'running') return;
    process.stderr.write(`zonesim zone: the coordinator refused this node (close ${code}): ${reason}\n`);
    void node.stop().finally(() => process.exit(2));
  });
  onShutdownSignal(() => node.stop());
  if (flags.exitWithParent) exitWithParent(() => node.stop());
  try {
    await node.start();
  } catch (err) {
    process.stderr.write(`zonesim zone: ${(err as Error).message}\n`);
    await node.stop();
    return 2;
  }
  process.stdout.write(formatReadyLine({ role: 'zone-node', pid: process.pid, zone: node.options.zone, nodeId: node.options.nodeId }));
}
