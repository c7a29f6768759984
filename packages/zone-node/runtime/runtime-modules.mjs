// Modules a Node.js function resolves without bundling them, as on Lambda, whose NODE_PATH is
// /opt/nodejs/nodeNN/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules (lambda-facts
// 3.2): the layers' libraries, then the AWS SDK for JavaScript v3 that the runtime ships. The zone
// node fills <runtime dir>/node_modules with the SDK (runtime-modules.ts). CommonJS `require` reads
// NODE_PATH; ES module imports do not, so a resolve hook tries the same folders after a miss.
import Module, { register } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The folders: NODE_PATH as the zone node set it (lambda-env.ts; a function may set its own), else Lambda's. */
export function runtimeModuleDirs() {
  const given = process.env['NODE_PATH'];
  if (given !== undefined) return given.split(path.delimiter).filter((d) => d !== '');
  const major = process.versions.node.split('.')[0];
  const runtimeDir = process.env['LAMBDA_RUNTIME_DIR'] ?? path.dirname(new URL(import.meta.url).pathname);
  return [`/opt/nodejs/node${major}/node_modules`, '/opt/nodejs/node_modules', path.join(runtimeDir, 'node_modules')];
}

let registered = false;

/** Makes the folders resolvable for `require` and `import`. */
export function allowRuntimeModules() {
  const dirs = runtimeModuleDirs();
  process.env['NODE_PATH'] = dirs.join(path.delimiter);
  // The CommonJS loader read NODE_PATH when the process started (a spare runtime, before it knew its function).
  Module._initPaths();
  if (registered) return;
  registered = true;
  const present = dirs.filter((d) => existsSync(d));
  if (present.length > 0) register('./runtime-resolve.mjs', import.meta.url, { data: { dirs: present } });
}
