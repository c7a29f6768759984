// Helpers of the dashboard tests (issue 9): `zonesim up` as a user starts it, headless Chromium on
// the page (Debian's chromium through playwright-core, as test/report-html.test.ts drives it), and
// a steady open-loop load from this process.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ZONESIM_BIN } from '@zonesim/cli';
import { descendantPids, isAlive, waitFor } from './processes.js';

export const CHROMIUM = '/usr/bin/chromium';
/** Kept after the run for a person to look at; .tap/ is git-ignored. */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../.tap/screenshots/', import.meta.url));

/**
 * Runs `zonesim up` with these flags until the test ends; resolves with its API URL once it prints
 * its ready text. Teardown sends SIGINT and checks that every process it started is gone.
 */
export async function zonesimUp(t: Test, args: string[]): Promise<{ apiUrl: string; proc: ChildProcess; output: () => string }> {
  // Without tap's NODE_OPTIONS hooks: the cluster runs as a user's would (and faster).
  const env = { ...process.env };
  delete env['NODE_OPTIONS'];
  const proc = spawn(process.execPath, [ZONESIM_BIN, 'up', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  t.teardown(async () => {
    const descendants = proc.pid ? descendantPids(proc.pid) : [];
    if (proc.exitCode === null) {
      proc.kill('SIGINT');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      await once(proc, 'exit');
      clearTimeout(killer);
    }
    await waitFor(() => descendants.every((p) => !isAlive(p)), 10_000, 'every process of zonesim up to exit').catch(() => {
      for (const p of descendants) if (isAlive(p)) process.kill(p, 'SIGKILL');
    });
  });
  await waitFor(() => /Press Ctrl-C to stop/.test(out) || proc.exitCode !== null, 60_000, 'zonesim up to be ready');
  const m = /Lambda API\s+(http:\/\/\S+)/.exec(out);
  if (!m) throw new Error(`zonesim up did not start:\n${out}`);
  return { apiUrl: m[1]!, proc, output: () => out };
}

/** A page on `url` in headless Chromium; console errors, page errors and foreign requests are collected. */
export async function openPage(t: Test, url: string, viewport = { width: 1500, height: 1400 }): Promise<{ page: Page; errors: string[]; foreign: string[]; browser: Browser }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking'] });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  const origin = new URL(url).origin;
  await page.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith(origin)) return route.continue();
    foreign.push(u);
    return route.abort();
  });
  await page.goto(url);
  return { page, errors, foreign, browser };
}

/** Saves a full-page screenshot under .tap/screenshots/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = join(SCREENSHOT_DIR, name);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Counts of a {@link SteadyLoad}. */
export interface LoadCounts {
  sent: number;
  answered: number;
  ok: number;
  failed: number;
}

/**
 * Open-loop load on one function from this process: `syncPerSec` RequestResponse and `asyncPerSec`
 * Event invocations per second, sent on a 10 ms timer whatever the answers (node:http with a
 * keep-alive pool, as the scenario runner's LoadClient does).
 */
export class SteadyLoad {
  readonly counts: LoadCounts = { sent: 0, answered: 0, ok: 0, failed: 0 };
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 256 });
  readonly #url: URL;
  readonly #timer: NodeJS.Timeout;
  readonly #body = Buffer.from('{"hello":"class"}');

  constructor(apiUrl: string, fn: string, rates: { syncPerSec: number; asyncPerSec: number }) {
    this.#url = new URL(apiUrl);
    const start = Date.now();
    let sync = 0;
    let async = 0;
    this.#timer = setInterval(() => {
      const elapsed = (Date.now() - start) / 1000;
      while (sync < elapsed * rates.syncPerSec) {
        sync++;
        this.send(fn, false);
      }
      while (async < elapsed * rates.asyncPerSec) {
        async++;
        this.send(fn, true);
      }
    }, 10);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#agent.destroy();
  }

  /** Sends one invocation now; `done` is called when it is answered (or failed). */
  send(fn: string, isAsync: boolean, done?: () => void): void {
    this.counts.sent++;
    const req = request(
      {
        host: this.#url.hostname,
        port: this.#url.port,
        method: 'POST',
        path: `/2015-03-31/functions/${fn}/invocations`,
        agent: this.#agent,
        headers: { 'content-type': 'application/json', 'content-length': this.#body.length, ...(isAsync ? { 'x-amz-invocation-type': 'Event' } : {}) },
      },
      (res) => {
        res.resume();
        res.once('end', () => {
          this.counts.answered++;
          if (res.statusCode === (isAsync ? 202 : 200)) this.counts.ok++;
          else this.counts.failed++;
          done?.();
        });
      },
    );
    req.once('error', () => {
      this.counts.answered++;
      this.counts.failed++;
      done?.();
    });
    req.end(this.#body);
  }
}

/**
 * Closed-loop load at a capped rate: at most `concurrency` invocations in flight and at most
 * `perSecond` started per second. It reaches the rate when the machine can serve it and otherwise
 * runs at what the machine allows, without the queue collapse an open loop suffers on an
 * overloaded machine (a benchmark of the dashboard, not of the platform's tail latency).
 */
export class CappedLoad {
  readonly #load: SteadyLoad;
  readonly #timer: NodeJS.Timeout;
  #inFlight = 0;

  constructor(apiUrl: string, fn: string, settings: { perSecond: number; concurrency: number }) {
    this.#load = new SteadyLoad(apiUrl, fn, { syncPerSec: 0, asyncPerSec: 0 });
    const start = Date.now();
    let started = 0;
    this.#timer = setInterval(() => {
      const due = ((Date.now() - start) / 1000) * settings.perSecond;
      while (started < due && this.#inFlight < settings.concurrency) {
        started++;
        this.#inFlight++;
        this.#load.send(fn, false, () => void this.#inFlight--);
      }
      // Behind the rate: do not bank the missed starts (no burst when the machine frees up).
      if (started < due - settings.perSecond) started = Math.floor(due - settings.perSecond);
    }, 5);
  }

  get counts(): LoadCounts {
    return this.#load.counts;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#load.stop();
  }
}
