// Loads the user's handler the way Lambda's Node.js runtime client does (RIC src/UserFunction.js,
// src/function/module-loader.ts): handler string `path/to/file.export[.nested]`, module looked up
// relative to LAMBDA_TASK_ROOT as file.js, file.mjs, file.cjs, then the Node resolution fallback.
// Everything is loaded with dynamic import() of a file URL, which handles ESM and CommonJS alike.
// Worker threads cannot chdir, so paths are always resolved against the task root explicitly.
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { HandlerNotFound, ImportModuleError, MalformedHandlerName, UserCodeSyntaxError } from './errors.mjs';

const FUNCTION_EXPR = /^([^.]*)\.(.*)$/;
const require = createRequire(import.meta.url);

function isFile(p) {
  try {
    return existsSync(p) && statSync(p).isFile();
  } catch {
    return false;
  }
}

async function importModule(appRoot, moduleRoot, moduleName) {
  const base = path.resolve(appRoot, moduleRoot, moduleName);
  for (const ext of ['.js', '.mjs', '.cjs']) {
    if (isFile(base + ext)) return import(pathToFileURL(base + ext).href);
  }
  // RIC: "Why not just require(module)? Because require() is relative to __dirname" - resolve
  // from the task root instead. A miss throws MODULE_NOT_FOUND, "Cannot find module 'index'".
  const resolved = require.resolve(moduleName, { paths: [appRoot, path.join(appRoot, moduleRoot)] });
  return import(pathToFileURL(resolved).href);
}

async function loadModule(appRoot, moduleRoot, moduleName) {
  try {
    return await importModule(appRoot, moduleRoot, moduleName);
  } catch (err) {
    if (err instanceof SyntaxError) throw new UserCodeSyntaxError(err);
    // MODULE_NOT_FOUND comes from require (CommonJS); ESM imports of a missing file or package
    // throw ERR_MODULE_NOT_FOUND. Both mean a missing module or dependency to the user.
    const code = err?.code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') throw new ImportModuleError(err);
    throw err;
  }
}

function resolveExport(namespace, handlerPath) {
  const walk = (root) => handlerPath.split('.').reduce((nested, key) => (nested == null ? undefined : nested[key]), root);
  // ESM exports live on the namespace; CommonJS `module.exports` also appears as `default`.
  return walk(namespace) ?? walk(namespace?.default);
}

/**
 * Loads `fullHandler` (e.g. `src/index.handler`) from `appRoot`.
 * @throws Runtime.MalformedHandlerName, Runtime.ImportModuleError, Runtime.UserCodeSyntaxError,
 *   Runtime.HandlerNotFound, or whatever the module's top-level code threw.
 * @returns {Promise<Function>}
 */
export async function loadHandler(appRoot, fullHandler) {
  if (fullHandler.includes('..')) {
    throw new MalformedHandlerName(
      `'${fullHandler}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const moduleAndHandler = path.basename(fullHandler);
  const moduleRoot = fullHandler.substring(0, fullHandler.indexOf(moduleAndHandler));
  const match = moduleAndHandler.match(FUNCTION_EXPR);
  if (!match || match.length !== 3) throw new MalformedHandlerName('Bad handler');
  const [, moduleName, handlerPath] = match;

  const namespace = await loadModule(appRoot, moduleRoot, moduleName);
  const handler = resolveExport(namespace, handlerPath);
  if (!handler) throw new HandlerNotFound(`${fullHandler} is undefined or not exported`);
  if (typeof handler !== 'function') throw new HandlerNotFound(`${fullHandler} is not a function`);
  return handler;
}
