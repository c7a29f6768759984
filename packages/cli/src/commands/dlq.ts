import { apiFetch } from '../lambda-http.js';
import { renderTable } from '../table.js';

interface DeadLetterView {
  eventId: string;
  functionName: string;
  condition: string;
  reason: string;
  attempts: number;
  deadAt: number;
  payload: string;
}

async function call(url: string, init?: Parameters<typeof apiFetch>[1]): Promise<unknown> {
  const res = await apiFetch(url, init);
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status} ${res.headers.get('x-amzn-errortype') ?? ''}: ${JSON.stringify(body)}`);
  return body;
}

/** `zonesim dlq list`: dead-lettered events, newest reason first. */
export async function runDlqListCommand(flags: { endpointUrl: string; function?: string; limit: string; json?: boolean }): Promise<number> {
  const q = new URLSearchParams({ limit: flags.limit, ...(flags.function ? { function: flags.function } : {}) });
  const body = (await call(`${flags.endpointUrl.replace(/\/$/, '')}/zonesim/v1/dead-letters?${q}`)) as { deadLetters: DeadLetterView[] };
  if (flags.json) {
    process.stdout.write(JSON.stringify(body, null, 2) + '\n');
    return 0;
  }
  process.stdout.write(renderTable(
    ['event id', 'function', 'condition', 'reason', 'attempts', 'dead at', 'payload'],
    body.deadLetters.map((d) => [d.eventId, d.functionName, d.condition, d.reason, d.attempts, new Date(d.deadAt).toISOString(), d.payload.slice(0, 40)]),
  ));
  process.stdout.write(`${body.deadLetters.length} dead-lettered event(s)\n`);
  return 0;
}

/** `zonesim dlq redrive [ids...] [--all]`: puts dead letters back on the queue. */
export async function runDlqRedriveCommand(ids: string[], flags: { endpointUrl: string; all?: boolean; function?: string }): Promise<number> {
  if (!flags.all && ids.length === 0) throw new Error('give event ids, or --all');
  const body = (await call(`${flags.endpointUrl.replace(/\/$/, '')}/zonesim/v1/dead-letters/redrive`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(flags.all ? { all: true, ...(flags.function ? { function: flags.function } : {}) } : { ids }),
  })) as { redriven: string[] };
  process.stdout.write(`redriven: ${body.redriven.length} event(s)\n`);
  return 0;
}
