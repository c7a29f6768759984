// The ES module half of runtime-modules.mjs, run on Node's loader thread: a bare import that the
// function's own node_modules cannot satisfy is tried in each runtime folder, but only for a
// package that folder actually holds (resolving from inside a folder would otherwise also walk up
// through its parents). The folders arrive on a port at INIT; a miss before then waits for them.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

let dirs = [];
let received;
const ready = new Promise((resolve) => (received = resolve));

export function initialize(data) {
  data.port.on('message', (m) => {
    dirs = Array.isArray(m?.dirs) ? m.dirs : [];
    received();
  });
  data.port.unref();
}

/** `@scope/name` or `name` of a bare specifier; undefined for relative, absolute and node: ones. */
function packageName(specifier) {
  if (/^(\.|\/|[a-z][a-z0-9+.-]*:)/i.test(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    const name = err?.code === 'ERR_MODULE_NOT_FOUND' ? packageName(specifier) : undefined;
    if (name === undefined) throw err;
    await ready;
    for (const dir of dirs) {
      if (!existsSync(path.join(dir, name))) continue;
      return next(specifier, { ...context, parentURL: pathToFileURL(path.join(dir, 'runtime-import.mjs')).href });
    }
    throw err;
  }
}
