// The one ordered channel between the runtime and the zone node: IPC when the environment is a
// child process (`process.send`), the parent port when it is a worker thread. Log lines and results
// travel over the same channel, so the host sees them in the order the runtime produced them.
import { isMainThread, parentPort } from 'node:worker_threads';

/**
 * @typedef {object} Channel
 * @property {'process' | 'worker'} kind
 * @property {(message: object) => void} send
 * @property {(listener: (message: unknown) => void) => void} onMessage
 * @property {() => void} ref    keep the event loop alive (waiting for the next event)
 * @property {() => void} unref  let the event loop drain (while user code runs)
 */

/** @returns {Channel} */
export function openChannel() {
  if (!isMainThread && parentPort) {
    const port = parentPort;
    return {
      kind: 'worker',
      send: (message) => port.postMessage(message),
      onMessage: (listener) => port.on('message', listener),
      ref: () => port.ref(),
      unref: () => port.unref(),
    };
  }
  if (typeof process.send === 'function' && process.channel) {
    const send = process.send.bind(process);
    const ipc = process.channel;
    // A Lambda runtime has no IPC channel; hide it so user code cannot post fake results.
    delete process.send;
    // The zone node is gone (crashed or killed): nobody will ever send another event. The runtime
    // leads its own process group, so no terminal signal reaches it; end here instead of lingering.
    process.once('disconnect', () => process.exit(0));
    return {
      kind: 'process',
      send: (message) => {
        // A closed channel means the host is gone; the host kills us anyway.
        if (process.connected) send(message);
      },
      onMessage: (listener) => process.on('message', listener),
      ref: () => ipc.ref(),
      unref: () => ipc.unref(),
    };
  }
  throw new Error('zonesim runtime: no parent channel; this file is started by the zone node only');
}
