import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The first of these commands found on PATH opens a URL in the desktop's browser. */
const OPENERS = process.platform === 'darwin' ? ['open'] : ['xdg-open', 'sensible-browser', 'x-www-browser'];

function onPath(command: string): boolean {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/**
 * Opens a URL in a browser where possible (`zonesim up --open`): xdg-open on Linux desktops,
 * `open` on macOS. Resolves with the command used, or undefined when there is none (a server,
 * a container): the caller prints the URL either way. Never throws; the opener is detached.
 */
export async function openInBrowser(url: string): Promise<string | undefined> {
  const command = OPENERS.find(onPath);
  if (!command) return undefined;
  return new Promise((resolve) => {
    const child = spawn(command, [url], { stdio: 'ignore', detached: true });
    child.once('error', () => resolve(undefined));
    child.once('spawn', () => {
      child.unref();
      resolve(command);
    });
  });
}
