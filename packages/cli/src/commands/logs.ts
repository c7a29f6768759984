import { setTimeout as sleep } from 'node:timers/promises';
import { apiFetch } from '../lambda-http.js';

interface LogEventView {
  id: number;
  timestamp: number;
  logStreamName: string;
  message: string;
}

interface LogPage {
  events: LogEventView[];
  nextToken: number;
}

/** `10m`, `90s`, `2h`, `1d` or an ISO date -> epoch ms. */
export function parseSince(value: string, now = Date.now()): number {
  const rel = /^(\d+)(s|m|h|d)$/.exec(value);
  if (rel) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 's' | 'm' | 'h' | 'd'];
    return now - Number(rel[1]) * unit;
  }
  const abs = Date.parse(value);
  if (Number.isNaN(abs)) throw new Error(`--since: expected 10m, 90s, 2h, 1d or a date, got ${JSON.stringify(value)}`);
  return abs;
}

/**
 * `zonesim logs FUNCTION [--follow]`: prints a function's log lines as `aws logs tail` does
 * (timestamp, log stream, message); with `--follow` it keeps polling from where it stopped.
 */
export async function runLogsCommand(
  name: string,
  flags: { endpointUrl: string; follow?: boolean; since?: string; stream?: string; pollMs?: string; format?: string },
  options: { signal?: AbortSignal; out?: NodeJS.WritableStream } = {},
): Promise<number> {
  const out = options.out ?? process.stdout;
  const pollMs = flags.pollMs === undefined ? 500 : Number(flags.pollMs);
  if (!Number.isInteger(pollMs) || pollMs < 10) throw new Error(`--poll-ms must be an integer >= 10, got ${String(flags.pollMs)}`);
  const base = `${flags.endpointUrl.replace(/\/$/, '')}/zonesim/v1/functions/${encodeURIComponent(name)}/logs`;
  const query = new URLSearchParams();
  if (flags.since !== undefined) query.set('since', String(parseSince(flags.since)));
  if (flags.stream !== undefined) query.set('stream', flags.stream);
  let after: number | undefined;
  for (;;) {
    const q = new URLSearchParams(query);
    q.set('limit', '1000');
    if (after !== undefined) q.set('after', String(after));
    const res = await apiFetch(`${base}?${q.toString()}`, { method: 'GET', ...(options.signal ? { signal: options.signal } : {}) });
    const text = await res.text();
    if (res.status !== 200) {
      process.stderr.write(`zonesim logs: HTTP ${res.status} ${res.headers.get('x-amzn-errortype') ?? ''} ${text}\n`);
      return 1;
    }
    const page = JSON.parse(text) as LogPage;
    for (const e of page.events) {
      const when = new Date(e.timestamp).toISOString();
      out.write(flags.format === 'short' ? `${when} ${e.message}\n` : `${when} ${e.logStreamName} ${e.message}\n`);
    }
    after = page.nextToken;
    if (page.events.length >= 1000) continue;
    if (!flags.follow || options.signal?.aborted) return 0;
    try {
      await sleep(pollMs, undefined, options.signal ? { signal: options.signal } : {});
    } catch {
      return 0;
    }
  }
}
