import type { SupervisorChannel } from '@zonesim/coordinator';

/**
 * The coordinator's end of its supervisor channel: Node's IPC channel to the parent that started it
 * with `--supervised` (@zonesim/runner's local-cluster.ts opens it). Undefined when there is none (a coordinator started by
 * hand): the dashboard then refuses process and network faults and says why.
 */
export function parentSupervisorChannel(proc: NodeJS.Process = process): SupervisorChannel | undefined {
  if (typeof proc.send !== 'function' || !proc.connected) return undefined;
  // The channel must not keep the process alive on its own: signals and the parent's exit end it.
  proc.channel?.unref();
  return {
    send: (message) => {
      if (proc.connected) proc.send!(message, undefined, undefined, (err: Error | null) => void err);
    },
    onMessage: (listener) => void proc.on('message', (m: unknown) => listener(m)),
    onClose: (listener) => void proc.once('disconnect', listener),
  };
}
