import t from 'tap';
import { AvailabilityAccumulator } from './availability.js';

const T0 = 1_000_000;
/** `perSecond` ops each second for `seconds` s from T0, failing those for which `fails(second, i)`. */
function feed(acc: AvailabilityAccumulator, seconds: number, perSecond: number, fails: (second: number, i: number) => boolean, fn: (i: number) => string = (i) => (i % 2 === 0 ? 'a' : 'b')): void {
  for (let s = 0; s < seconds; s++) {
    for (let i = 0; i < perSecond; i++) acc.add({ intendedAt: T0 + s * 1000 + i, result: fails(s, i) ? 'fail' : 'ok', function: fn(i) });
  }
}

t.test('success ratio, nines, error budget and goodput', async (t) => {
  const acc = new AvailabilityAccumulator(T0, 0.999);
  // 100 s x 100 ops, 10 failures in all: 99.9 % = 3 nines, the whole budget.
  feed(acc, 100, 100, (s, i) => s === 50 && i < 10);
  acc.add({ intendedAt: T0 - 1, result: 'fail', function: 'a' });
  const a = acc.result([], T0 + 100_000);
  t.equal(a.overall.ops, 10_000, 'the warm-up is not judged');
  t.equal(a.overall.failed, 10);
  t.ok(Math.abs(a.overall.nines! - 3) < 1e-9, `${a.overall.nines} nines`);
  t.ok(Math.abs(a.overall.errorBudgetBurned! - 1) < 1e-9, 'the whole error budget');
  t.equal(a.overall.goodputPerSecond, 99.9);
  t.same(Object.keys(a.byFunction), ['a', 'b']);
  t.equal(a.byFunction['a']!.failed, 5);
  const clean = new AvailabilityAccumulator(T0);
  feed(clean, 10, 10, () => false);
  t.equal(clean.result([], T0 + 10_000).overall.nines, null, 'no failure: no finite number of nines');
});

t.test('incidents: recovery after the heal, requests affected, blast radius; a failure that outlives its trigger never recovers', async (t) => {
  const acc = new AvailabilityAccumulator(T0, 0.99);
  // A fault from 10 s to 20 s; failures from 10 s until 25 s, then none.
  feed(acc, 60, 100, (s, i) => s >= 10 && s < 25 && i < 50, (i) => (i < 3 ? 'x' : i % 2 === 0 ? 'a' : 'b'));
  const a = acc.result([{ id: 'f', startAt: T0 + 10_000, endAt: T0 + 20_000 }], T0 + 60_000);
  const i = a.incidents[0]!;
  t.equal(i.recoveredAt, T0 + 25_000, 'recovered when every second met the SLO again');
  t.equal(i.recoveryMs, 15_000);
  t.equal(i.recoveryAfterHealMs, 5_000, 'it outlived its heal by 5 s');
  t.equal(i.affected, 15 * 50);
  t.equal(i.functionsAffected, 3);
  t.same(i.functions, ['a', 'b', 'x']);
  t.equal(i.tenantsAffected, 3, 'by default each function is its own tenant');
  t.same(i.tenants, ['a', 'b', 'x']);

  // The same failures, with a and b owned by one tenant: 3 functions, 2 tenants.
  const owned = new AvailabilityAccumulator(T0, 0.99, (fn) => (fn === 'x' ? 'tenant-2' : 'tenant-1'));
  feed(owned, 60, 100, (s, k) => s >= 10 && s < 25 && k < 50, (k) => (k < 3 ? 'x' : k % 2 === 0 ? 'a' : 'b'));
  const o = owned.result([{ id: 'f', startAt: T0 + 10_000, endAt: T0 + 20_000 }], T0 + 60_000).incidents[0]!;
  t.equal(o.functionsAffected, 3);
  t.equal(o.tenantsAffected, 2, 'tenants touched: the owners of the functions touched');
  t.same(o.tenants, ['tenant-1', 'tenant-2']);

  const stuck = new AvailabilityAccumulator(T0, 0.99);
  feed(stuck, 60, 100, (s, k) => s >= 10 && k < 50);
  const b = stuck.result([{ id: 'g', startAt: T0 + 10_000, endAt: T0 + 20_000 }, { id: 'h', startAt: T0 + 30_000 }], T0 + 60_000);
  t.equal(b.incidents[0]!.recoveredAt, undefined, 'metastable: never recovered after the heal');
  t.equal(b.incidents[0]!.affected, 50 * 50, 'affected until the end of the load');
  t.equal(b.incidents[1]!.recoveredAt, undefined, 'never healed: no recovery to find');
});
