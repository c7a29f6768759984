import t from 'tap';
import { ManualClock, silentLogger } from '@zonesim/common';
import { ScaledTime } from './scaled-time.js';
import { Scheduler, type ScheduleRecord } from './scheduler.js';

const account = { region: 'us-east-1', accountId: '000000000000' };

function setup(scale: number, startIso: string) {
  const clock = new ManualClock(Date.parse(startIso));
  const time = new ScaledTime(clock.now(), scale);
  const fired: Array<{ realAt: number; event: any }> = [];
  const scheduler = new Scheduler({
    clock,
    time,
    log: silentLogger(),
    account,
    fire: async (_s, payload) => {
      fired.push({ realAt: clock.now(), event: JSON.parse(payload.toString()) });
    },
  });
  return { clock, time, fired, scheduler };
}

const schedule = (expression: string, createdAt: number, extra: Partial<ScheduleRecord> = {}): ScheduleRecord => ({
  name: 'tick',
  expression,
  functionName: 'fn',
  state: 'ENABLED',
  createdAt,
  lastModified: createdAt,
  ...extra,
});

t.test('a cron schedule fires at the right scaled minutes', async (t) => {
  // 60x: a scaled minute lasts one real second. Scaled time equals real time at the start.
  const { clock, fired, scheduler } = setup(60, '2026-01-01T00:00:30Z');
  const start = clock.now();
  scheduler.start([schedule('cron(0/5 * * * ? *)', start)]);
  clock.advance(31_000); // 31 real s = 31 scaled minutes: up to scaled 00:31:30
  t.same(
    fired.map((f) => f.event.time),
    ['2026-01-01T00:05:00Z', '2026-01-01T00:10:00Z', '2026-01-01T00:15:00Z', '2026-01-01T00:20:00Z', '2026-01-01T00:25:00Z', '2026-01-01T00:30:00Z'],
    'every scaled minute divisible by 5, at second 0',
  );
  // Scaled 00:05:00 is 4.5 scaled minutes after the start: 4.5 real seconds; then every 5 s.
  t.same(fired.map((f) => f.realAt - start), [4_500, 9_500, 14_500, 19_500, 24_500, 29_500]);
  const e = fired[0]!.event;
  t.equal(e['detail-type'], 'Scheduled Event');
  t.equal(e.source, 'aws.events');
  t.equal(e.version, '0');
  t.same(e.resources, ['arn:aws:events:us-east-1:000000000000:rule/tick']);
  t.same(e.detail, {});
  t.equal(e.account, '000000000000');
  t.equal(scheduler.status('tick')?.fires, 6);
  t.equal(new Date(scheduler.status('tick')!.nextFireAt!).toISOString(), '2026-01-01T00:35:00.000Z');
  scheduler.stop();
  t.equal(clock.pendingTimers, 0, 'stop clears its timer');
});

t.test('rate schedules fire every period from creation; disabled ones do not fire; input replaces the event', async (t) => {
  const { clock, fired, scheduler } = setup(3600, '2026-01-01T00:00:00Z');
  const start = clock.now();
  scheduler.start([schedule('rate(1 hour)', start, { input: '{"custom":true}' })]);
  clock.advance(3_500); // 3.5 scaled hours
  t.same(fired.map((f) => f.realAt - start), [1_000, 2_000, 3_000], 'a scaled hour is one real second at 3600x');
  t.same(fired[0]!.event, { custom: true });
  scheduler.put(schedule('rate(1 hour)', start, { state: 'DISABLED' }));
  clock.advance(5_000);
  t.equal(fired.length, 3, 'disabled: no more fires');
  scheduler.stop();
});

t.test('a late timer fires once and skips the missed slots', async (t) => {
  const { clock, fired, scheduler } = setup(1, '2026-01-01T00:00:00Z');
  // Scaled == real. The clock jumps 10 minutes past the first fire in one step.
  scheduler.start([schedule('cron(* * * * ? *)', clock.now())]);
  const timerAt = clock.now() + 60_000;
  clock.advance(60_000 - 1);
  t.equal(fired.length, 0);
  // Simulate a stalled loop: move wall time without running timers, then let the timer run.
  (clock as unknown as { now(): number }).now = ((orig) => () => orig.call(clock) + 600_000)(clock.now.bind(clock));
  clock.advance(1);
  t.equal(fired.length, 1, 'one fire for the late slot');
  t.equal(fired[0]!.event.time, new Date(timerAt).toISOString().replace('.000Z', 'Z'));
  t.equal(new Date(scheduler.status('tick')!.nextFireAt!).toISOString(), '2026-01-01T00:12:00.000Z', 'next: the first minute after now, not the missed ones');
  scheduler.stop();
});
