import { sampleProc, type ProcSample } from './proc.js';

/** CPU use (% of one core) of some processes and of this one over a window. */
export class CpuWatch {
  readonly #pids: Map<string, number>;
  #start = new Map<string, ProcSample>();
  #self = process.cpuUsage();
  #selfAt = performance.now();

  constructor(pids: Record<string, number>) {
    this.#pids = new Map(Object.entries(pids));
  }

  begin(): void {
    this.#start = new Map([...this.#pids].map(([k, pid]) => [k, sampleProc(pid)]));
    this.#self = process.cpuUsage();
    this.#selfAt = performance.now();
  }

  /** % of one core per process label, plus `client` (this process). */
  end(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, pid] of this.#pids) {
      const a = this.#start.get(k)!;
      const b = sampleProc(pid);
      out[k] = ((b.cpuMs - a.cpuMs) / (b.at - a.at)) * 100;
    }
    const u = process.cpuUsage(this.#self);
    out['client'] = ((u.user + u.system) / 1000 / (performance.now() - this.#selfAt)) * 100;
    return out;
  }
}

/** `coordinator 95%, zone nodes 60%, client 80%` */
export function cpuLine(cpu: Record<string, number>): string {
  const zones = Object.entries(cpu).filter(([k]) => k.startsWith('zone:')).reduce((n, [, v]) => n + v, 0);
  const parts = [`coordinator ${Math.round(cpu['coordinator'] ?? 0)}%`];
  if (Object.keys(cpu).some((k) => k.startsWith('zone:'))) parts.push(`zone nodes ${Math.round(zones)}% together`);
  if (cpu['server'] !== undefined) parts.push(`server ${Math.round(cpu['server'])}%`);
  parts.push(`client ${Math.round(cpu['client'] ?? 0)}%`);
  return parts.join(', ');
}
