import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './cleanup.js';

/** The repository root (bench/lib/../..). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A baseline server in a child process, so that it never shares an event loop with the client. */
export interface BaselineChild {
  pid: number;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `bench/lib/<script>` with tsx and waits for its `READY {"port":N}` line. The child exits
 * when its stdin closes (this process died) or on SIGTERM from `stop()`.
 */
export async function startBaselineChild(script: string, args: string[] = [], timeoutMs = 15_000): Promise<BaselineChild> {
  const child = spawn(process.execPath, ['--import=tsx', fileURLToPath(new URL(script, import.meta.url)), ...args], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = onCleanup(`baseline ${script}`, async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script} was not ready within ${timeoutMs} ms`)), timeoutMs);
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        if (!line.startsWith('READY ')) return;
        clearTimeout(timer);
        resolve((JSON.parse(line.slice(6)) as { port: number }).port);
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${script} exited before it was ready`));
      });
    });
    return { pid: child.pid!, port, child, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** For baseline scripts: exit when the parent goes away (stdin closes) or on SIGTERM. */
export function exitWithParent(close: () => void): void {
  process.stdin.resume();
  process.stdin.once('end', close);
  process.stdin.once('close', close);
  process.once('SIGTERM', close);
}
