import t from 'tap';
import { parseScheduleExpression } from './schedule-expression.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The first `n` fire times after `from`. */
function fires(expr: string, from: string, n: number): Array<string | undefined> {
  const e = parseScheduleExpression(expr);
  if (e.kind !== 'cron') throw new Error('cron only');
  const out: Array<string | undefined> = [];
  let t0 = at(from);
  for (let i = 0; i < n; i++) {
    const next = e.nextAfter(t0);
    out.push(iso(next));
    if (next === undefined) break;
    t0 = next;
  }
  return out;
}

t.test('rate expressions fire every period from their anchor', async (t) => {
  const e = parseScheduleExpression('rate(5 minutes)');
  t.equal(e.kind, 'rate');
  if (e.kind !== 'rate') return;
  t.equal(e.periodMs, 300_000);
  const anchor = at('2026-01-01T00:00:10Z');
  t.equal(iso(e.nextAfter(anchor, anchor)), '2026-01-01T00:05:10.000Z');
  t.equal(iso(e.nextAfter(at('2026-01-01T00:05:10Z'), anchor)), '2026-01-01T00:10:10.000Z', 'strictly after');
  t.equal(parseScheduleExpression('rate(1 hour)').kind, 'rate');
  for (const bad of ['rate(1 minutes)', 'rate(2 minute)', 'rate(0 minutes)', 'rate(5 seconds)', 'rate(x)', 'every 5 minutes']) {
    t.throws(() => parseScheduleExpression(bad), { code: 'INVALID_SCHEDULE_EXPRESSION' }, bad);
  }
});

t.test('cron: steps, ranges, lists and names in UTC', async (t) => {
  t.same(fires('cron(0/5 * * * ? *)', '2026-03-01T10:02:30Z', 3), ['2026-03-01T10:05:00.000Z', '2026-03-01T10:10:00.000Z', '2026-03-01T10:15:00.000Z']);
  t.same(fires('cron(0/5 * * * ? *)', '2026-03-01T10:05:00Z', 1), ['2026-03-01T10:10:00.000Z'], 'strictly after a fire time');
  t.same(fires('cron(15 10 * * ? *)', '2026-03-01T10:15:00Z', 2), ['2026-03-02T10:15:00.000Z', '2026-03-03T10:15:00.000Z']);
  t.same(fires('cron(0 18 ? * MON-FRI *)', '2026-03-06T19:00:00Z', 2), ['2026-03-09T18:00:00.000Z', '2026-03-10T18:00:00.000Z'], 'Friday evening -> Monday');
  t.same(fires('cron(0 8 1 * ? *)', '2026-01-15T00:00:00Z', 2), ['2026-02-01T08:00:00.000Z', '2026-03-01T08:00:00.000Z']);
  t.same(fires('cron(0,30 9-10 ? * 2 *)', '2026-03-02T09:10:00Z', 4), ['2026-03-02T09:30:00.000Z', '2026-03-02T10:00:00.000Z', '2026-03-02T10:30:00.000Z', '2026-03-09T09:00:00.000Z'], '2 = Monday');
  t.same(fires('cron(0 12 * JAN,JUL ? 2027)', '2026-06-01T00:00:00Z', 1), ['2027-01-01T12:00:00.000Z']);
});

t.test('cron: L, W and #', async (t) => {
  t.same(fires('cron(0 0 L * ? *)', '2028-02-01T00:00:00Z', 2), ['2028-02-29T00:00:00.000Z', '2028-03-31T00:00:00.000Z'], 'last day, leap year');
  t.same(fires('cron(0 0 ? * 6L *)', '2026-03-01T00:00:00Z', 1), ['2026-03-27T00:00:00.000Z'], 'last Friday of March 2026');
  t.same(fires('cron(0 0 ? * 3#2 *)', '2026-03-01T00:00:00Z', 1), ['2026-03-10T00:00:00.000Z'], 'second Tuesday');
  t.same(fires('cron(0 0 15W * ? *)', '2026-08-01T00:00:00Z', 1), ['2026-08-14T00:00:00.000Z'], '15 Aug 2026 is a Saturday: Friday 14');
  t.same(fires('cron(0 0 LW * ? *)', '2026-05-01T00:00:00Z', 1), ['2026-05-29T00:00:00.000Z'], '31 May 2026 is a Sunday');
});

t.test('cron: refusals name the problem', async (t) => {
  for (const bad of ['cron(0 * * * *)', 'cron(0 * * * * *)', 'cron(0 * ? * ? *)', 'cron(60 * * * ? *)', 'cron(0 * * FOO ? *)', 'cron(0 * * * ? 1969)', 'cron(5-1 * * * ? *)']) {
    t.throws(() => parseScheduleExpression(bad), { code: 'INVALID_SCHEDULE_EXPRESSION' }, bad);
  }
  const never = parseScheduleExpression('cron(0 0 1 1 ? 1999)');
  t.equal(never.kind === 'cron' ? never.nextAfter(at('2026-01-01T00:00:00Z')) : 0, undefined, 'a past year never fires');
});
