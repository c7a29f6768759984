// Modules a Node.js function resolves without bundling them, as on Lambda, whose NODE_PATH is
// /opt/nodejs/nodeNN/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules (lambda-facts
// 3.2): the layers' libraries, then the AWS SDK for JavaScript v3 that the runtime ships. The zone
// node fills <runtime dir>/node_modules with the SDK (runtime-modules.ts) and sets NODE_PATH
// (lambda-env.ts). CommonJS `require` reads NODE_PATH; ES module imports do not, so a resolve hook
// (runtime-resolve.mjs) tries the same folders after a miss.
//
// The hook is registered when the runtime starts, not at INIT: `module.register` starts Node's
// loader thread, about 30 ms, which a spare runtime pays ahead of need instead of in a cold start.
// The folders are only known at INIT (a spare does not know its function): they reach the hook
// then, on a message port.
import Module, { register } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';

/** The folders: NODE_PATH as the zone node set it (a function may set its own), else Lambda's. */
export function runtimeModuleDirs() {
  const given = process.env['NODE_PATH'];
  if (given !== undefined) return given.split(path.delimiter).filter((d) => d !== '');
  const major = process.versions.node.split('.')[0];
  const runtimeDir = process.env['LAMBDA_RUNTIME_DIR'] ?? path.dirname(new URL(import.meta.url).pathname);
  return [`/opt/nodejs/node${major}/node_modules`, '/opt/nodejs/node_modules', path.join(runtimeDir, 'node_modules')];
}

/** Where the folders go to the hook. */
let toHook;

/** Registers the resolve hook (at the runtime's start). */
export function registerRuntimeResolve() {
  const { port1, port2 } = new MessageChannel();
  register('./runtime-resolve.mjs', import.meta.url, { data: { port: port2 }, transferList: [port2] });
  port1.unref();
  toHook = port1;
}

/** Makes the folders resolvable for `require` and `import` (at INIT, once the environment is bound). */
export function allowRuntimeModules() {
  const dirs = runtimeModuleDirs();
  process.env['NODE_PATH'] = dirs.join(path.delimiter);
  // The CommonJS loader read NODE_PATH when the process started (a spare runtime, before it knew its function).
  Module._initPaths();
  toHook?.postMessage({ dirs: dirs.filter((d) => existsSync(d)) });
}
