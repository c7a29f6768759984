// Issue 16: the platform's logic (the coordinator's and the zone node's cores) does no I/O of its
// own, reads no wall clock and draws no unseeded random, so that the same classes run in real
// processes and in virtual time. This test scans both packages and holds every violation to a
// baseline (test/core-purity-baseline.json) that may only shrink: a new violation fails, and so does
// one that disappeared without the baseline being lowered (ZONESIM_UPDATE_PURITY=1 rewrites it).
// Files listed as shells are where I/O belongs (sockets, processes, the system clock): they are not
// counted. When the cores are split out, the baseline is empty and the test is strict.
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BASELINE = join(ROOT, 'test', 'core-purity-baseline.json');
const SCANNED = ['packages/coordinator/src', 'packages/zone-node/src'];

/** Modules that are I/O: only shells may import them. */
const IO_MODULES = new Set(['ws', 'http', 'https', 'net', 'child_process', 'worker_threads', 'perf_hooks', 'piscina'].flatMap((m) => [m, `node:${m}`]));
/** Global timer functions (a core uses its Clock). */
const GLOBAL_TIMERS = new Set(['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate']);
/** Unseeded ids and random draws (a core uses an injected, seedable source). */
const UNSEEDED = new Set(['randomUUID', 'randomBytes', 'randomInt', 'nanoid', 'customAlphabet', 'newRequestId', 'newShortId', 'newHex32']);

/** Counts of violations per rule in one source text. */
export function violations(fileName: string, text: string): Record<string, number> {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const found: Record<string, number> = {};
  const add = (rule: string): void => {
    found[rule] = (found[rule] ?? 0) + 1;
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && IO_MODULES.has(node.moduleSpecifier.text)) {
      // A type-only import of `ws` still ties the core to the transport's types.
      add(`import ${node.moduleSpecifier.text.replace(/^node:/, '')}`);
    }
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
        const call = `${callee.expression.text}.${callee.name.text}`;
        if (call === 'Date.now' || call === 'performance.now' || call === 'Math.random') add(call);
      } else if (ts.isIdentifier(callee)) {
        if (GLOBAL_TIMERS.has(callee.text)) add('global timer');
        if (UNSEEDED.has(callee.text)) add('unseeded id or random');
      }
    }
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'Date' && (node.arguments?.length ?? 0) === 0) add('new Date()');
    if (ts.isIdentifier(node) && node.text === 'systemClock' && !ts.isImportSpecifier(node.parent)) add('systemClock');
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== 'test-util') out.push(...(await sourceFiles(path)));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) {
      out.push(path);
    }
  }
  return out.sort();
}

interface Baseline {
  /** Files that are shells: they wire cores to sockets, processes and the system clock. */
  shells: string[];
  /** file -> rule -> count still to remove from the cores. */
  violations: Record<string, Record<string, number>>;
}

t.test('the scanner finds each kind of violation (the test can fail)', async (t) => {
  const fixture = `
import { WebSocket } from 'ws';
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import { systemClock } from '@zonesim/common';
const a = Date.now(); const b = new Date(); const c = new Date(5); const d = Math.random();
setTimeout(() => {}, 1); clock.setTimeout(() => {}, 1); const id = randomUUID(); const e = performance.now();
const clockNow = systemClock.now();`;
  t.same(violations('fixture.ts', fixture), {
    'import ws': 1,
    'import child_process': 1,
    'import http': 1,
    'Date.now': 1,
    'new Date()': 1,
    'Math.random': 1,
    'global timer': 1,
    'unseeded id or random': 1,
    'performance.now': 1,
    systemClock: 1,
  });
});

t.test('the cores hold no more wall-clock reads, unseeded draws or I/O than the baseline, and the baseline is current', async (t) => {
  const baseline = JSON.parse(await readFile(BASELINE, 'utf8')) as Baseline;
  const shells = new Set(baseline.shells);
  const now: Baseline['violations'] = {};
  for (const dir of SCANNED) {
    for (const file of await sourceFiles(dir)) {
      if (shells.has(file)) continue;
      const found = violations(file, await readFile(join(ROOT, file), 'utf8'));
      if (Object.keys(found).length > 0) now[file] = found;
    }
  }
  if (process.env['ZONESIM_UPDATE_PURITY'] === '1') {
    await writeFile(BASELINE, `${JSON.stringify({ shells: baseline.shells, violations: now }, null, 2)}\n`);
    t.pass('baseline rewritten');
    return;
  }
  for (const shell of baseline.shells) {
    t.ok(SCANNED.some((d) => shell.startsWith(`${d}/`)), `${shell} is under a scanned package`);
  }
  const files = new Set([...Object.keys(now), ...Object.keys(baseline.violations)]);
  for (const file of [...files].sort()) {
    const was = baseline.violations[file] ?? {};
    const is = now[file] ?? {};
    for (const rule of new Set([...Object.keys(was), ...Object.keys(is)])) {
      const before = was[rule] ?? 0;
      const after = is[rule] ?? 0;
      if (after > before) t.fail(`${file}: ${after - before} new ${rule} in a core file (inject a Clock, a seeded source or a port instead)`);
      else if (after < before) t.fail(`${file}: ${before - after} fewer ${rule} than the baseline: lower it (ZONESIM_UPDATE_PURITY=1 npx tap ${relative(ROOT, fileURLToPath(import.meta.url))})`);
    }
  }
  t.pass(`${Object.keys(now).length} core files still to make pure`);
});
