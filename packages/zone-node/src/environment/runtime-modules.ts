import { existsSync, mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { RUNTIME_DIR } from './runtime-host.js';

/**
 * The AWS SDK for JavaScript v3 as Lambda's Node.js runtimes ship it (`/var/runtime/node_modules`,
 * on NODE_PATH): a handler imports `@aws-sdk/client-sqs` without bundling it. zonesim ships the
 * clients of the services it runs (Lambda, SQS; dependencies of @zonesim/zone-node) with their
 * `@smithy` and `@aws-crypto` packages. `<runtime dir>/node_modules` holds one link per scope into
 * the installation's node_modules, made when the first environment factory is created; the Node
 * runtime (runtime/runtime-modules.mjs) resolves from it. In the sandbox the runtime directory is
 * `/var/runtime`, and the installation's node_modules is bound read-only at its own path so that the
 * links resolve; only the linked scopes are resolvable by name.
 */

/** What Lambda's runtime puts in `/var/runtime/node_modules` and zonesim links. */
export const RUNTIME_MODULE_SCOPES: readonly string[] = ['@aws-sdk', '@smithy', '@aws-crypto'];

/** `<runtime dir>/node_modules`. */
export const RUNTIME_MODULES_DIR = join(RUNTIME_DIR, 'node_modules');

/** The node_modules directory the SDK is installed in (the workspace root's, after npm ci). */
export function installedNodeModules(): string | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve('@aws-sdk/client-lambda/package.json');
    return dirname(dirname(dirname(manifest)));
  } catch {
    return undefined;
  }
}

let ensured: { nodeModules: string | undefined } | undefined;

/**
 * Makes `<runtime dir>/node_modules` (once per process; idempotent across processes: built aside
 * and renamed into place). Returns the installation's node_modules, which a sandbox must bind, or
 * undefined when the SDK is not installed (handlers then must bundle it, as without this issue).
 */
export function ensureRuntimeModules(): string | undefined {
  if (ensured) return ensured.nodeModules;
  const nodeModules = installedNodeModules();
  ensured = { nodeModules };
  if (nodeModules === undefined) return undefined;
  const want = RUNTIME_MODULE_SCOPES.filter((s) => existsSync(join(nodeModules, s))).map((s) => [s, join(nodeModules, s)] as const);
  const current = (): boolean => want.every(([scope, target]) => {
    try {
      return readlinkSync(join(RUNTIME_MODULES_DIR, scope)) === target;
    } catch {
      return false;
    }
  });
  if (current()) return nodeModules;
  const aside = `${RUNTIME_MODULES_DIR}.${process.pid}.${Date.now()}`;
  mkdirSync(aside, { recursive: true });
  for (const [scope, target] of want) symlinkSync(target, join(aside, scope), 'dir');
  try {
    rmSync(RUNTIME_MODULES_DIR, { recursive: true, force: true });
    renameSync(aside, RUNTIME_MODULES_DIR);
  } catch {
    // Another process put its (identical) copy in place first.
    rmSync(aside, { recursive: true, force: true });
  }
  return nodeModules;
}
