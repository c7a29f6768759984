import t from 'tap';
import { ManualClock, seededEntropy, silentLogger } from '@zonesim/common';
import { ScaledTime } from './scaled-time.js';
import { MAX_CATCH_UP, Scheduler, type ScheduleRecord } from './scheduler.js';

const account = { region: 'us-east-1', accountId: '000000000000' };

function setup(scale: number, startIso: string) {
  const clock = new ManualClock(Date.parse(startIso));
  const time = new ScaledTime(clock.now(), scale);
  const fired: Array<{ realAt: number; event: any }> = [];
  const scheduler = new Scheduler({
    clock,
    entropy: seededEntropy('scheduler-test'),
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

t.test('a late timer fires the slots it missed, in order, up to the catch-up bound', async (t) => {
  const { clock, fired, scheduler } = setup(1, '2026-01-01T00:00:00Z');
  // Scaled == real; every minute. The loop stalls: wall time jumps while timers wait.
  scheduler.start([schedule('cron(* * * * ? *)', clock.now())]);
  clock.advance(60_000 - 1);
  t.equal(fired.length, 0);
  let skew = 600_000;
  const realNow = clock.now.bind(clock);
  (clock as unknown as { now(): number }).now = () => realNow() + skew;
  clock.advance(1); // the 00:01 timer runs at 00:11
  t.same(fired.map((f) => f.event.time.slice(11, 16)), ['00:01', '00:02', '00:03', '00:04', '00:05', '00:06', '00:07', '00:08', '00:09', '00:10', '00:11'], 'each missed slot once, in order');
  t.equal(new Date(scheduler.status('tick')!.nextFireAt!).toISOString(), '2026-01-01T00:12:00.000Z');
  // A stall longer than the bound: 16 slots caught up, the rest skipped and counted.
  fired.length = 0;
  skew += 40 * 60_000;
  clock.advance(60_000); // the 00:12 timer runs at 00:52
  t.equal(fired.length, 1 + MAX_CATCH_UP);
  t.equal(scheduler.status('tick')!.skipped, 40 - MAX_CATCH_UP);
  t.equal(new Date(scheduler.status('tick')!.nextFireAt!).toISOString(), '2026-01-01T00:53:00.000Z');
  scheduler.stop();
});
