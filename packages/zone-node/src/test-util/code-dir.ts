import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Test } from 'tap';

/** A file of a test's code directory: text, bytes, or text with a mode (an executable bootstrap). */
export type CodeFile = string | Buffer | { content: string; mode: number };

/** Writes `files` (relative path -> content) into a fresh temporary directory, removed at `t`'s teardown. */
export function writeCodeDir(t: Test, files: Record<string, CodeFile>, prefix = 'zonesim-code-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [rel, file] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    if (typeof file === 'string' || Buffer.isBuffer(file)) writeFileSync(path, file);
    else {
      writeFileSync(path, file.content);
      chmodSync(path, file.mode);
    }
  }
  return dir;
}
