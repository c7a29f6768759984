import { withAdminClient } from '../lambda-http.js';
import { renderTable } from '../table.js';

/** `zonesim dlq list`: dead-lettered events, newest reason first. */
export async function runDlqListCommand(flags: { endpointUrl: string; function?: string; limit: string; json?: boolean }): Promise<number> {
  // The API checks the limit (1-1000) and names the problem.
  const limit = Number(flags.limit);
  const deadLetters = await withAdminClient(flags.endpointUrl, 'GET /zonesim/v1/dead-letters', (admin) =>
    admin.deadLetters({ limit, offset: 0, ...(flags.function ? { functionName: flags.function } : {}) }));
  const body = { deadLetters };
  if (flags.json) {
    process.stdout.write(JSON.stringify(body, null, 2) + '\n');
    return 0;
  }
  process.stdout.write(renderTable(
    ['event id', 'function', 'condition', 'reason', 'attempts', 'dead at', 'payload'],
    deadLetters.map((d) => [d.eventId, d.functionName, d.condition ?? '-', d.reason ?? '-', d.attempts ?? '-', d.deadAt === undefined ? '-' : new Date(d.deadAt).toISOString(), (d.payload ?? '').slice(0, 40)]),
  ));
  process.stdout.write(`${deadLetters.length} dead-lettered event(s)\n`);
  return 0;
}

/** `zonesim dlq redrive [ids...] [--all]`: puts dead letters back on the queue. */
export async function runDlqRedriveCommand(ids: string[], flags: { endpointUrl: string; all?: boolean; function?: string }): Promise<number> {
  if (!flags.all && ids.length === 0) throw new Error('give event ids, or --all');
  const redriven = await withAdminClient(flags.endpointUrl, 'POST /zonesim/v1/dead-letters/redrive', (admin) =>
    admin.redriveDeadLetters(flags.all ? { all: true, ...(flags.function ? { functionName: flags.function } : {}) } : { ids }));
  process.stdout.write(`redriven: ${redriven.length} event(s)\n`);
  return 0;
}
