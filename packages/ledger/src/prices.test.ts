import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { invocationCost } from './billing.js';
import { defaultPriceTable, loadPriceTable, parsePriceTable, type PriceTable } from './prices.js';
import { close, makeRecord } from './test-util/records.js';

t.test('the shipped us-east-1 table has every price of lambda-facts section 8', async (t) => {
  const p = defaultPriceTable();
  t.equal(p.region, 'us-east-1');
  t.equal(p.requests.usdPerRequest, 0.0000002);
  t.same(
    p.duration.x86_64.tiers.map((x) => [x.upToGbSeconds, x.usdPerGbSecond]),
    [[6e9, 0.0000166667], [15e9, 0.000015], [null, 0.0000133334]],
  );
  t.same(
    p.duration.arm64.tiers.map((x) => [x.upToGbSeconds, x.usdPerGbSecond]),
    [[7.5e9, 0.0000133334], [18.75e9, 0.0000120001], [null, 0.0000106667]],
  );
  t.equal(p.provisionedConcurrency.x86_64.allocatedUsdPerGbSecond, 0.0000041667);
  t.equal(p.provisionedConcurrency.x86_64.durationUsdPerGbSecond, 0.0000097222);
  t.equal(p.provisionedConcurrency.arm64.allocatedUsdPerGbSecond, 0.0000033334);
  t.equal(p.provisionedConcurrency.arm64.durationUsdPerGbSecond, 0.0000077778);
  t.equal(p.provisionedConcurrency.billingGranularitySeconds.value, 300);
  t.equal(p.ephemeralStorage.usdPerGbSecond, 0.0000000309);
  t.equal(p.ephemeralStorage.includedMb, 512);
  t.same([p.freeTier.requests, p.freeTier.gbSeconds], [1_000_000, 400_000]);
  t.equal(p.durationGranularityMs.value, 1);
  t.equal(p.initBilling.onDemandZipManagedRuntimeSince, '2025-08-01');
  for (const entry of [p.requests, p.duration.x86_64, p.duration.arm64, p.provisionedConcurrency.x86_64, p.freeTier, p.initBilling]) {
    t.match(entry.source, /^https:\/\//, 'each entry has a source');
    t.match(entry.asOf, /^\d{4}-\d{2}/, 'and a date');
  }
  t.ok(Object.isFrozen(p.duration.x86_64.tiers[0]), 'the shared table is frozen');
  t.equal(defaultPriceTable(), p, 'read once');
});

t.test('another region can be swapped in from a file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ledger-prices-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const other = structuredClone(defaultPriceTable()) as PriceTable;
  other.region = 'eu-test-1';
  other.duration.x86_64.tiers[0]!.usdPerGbSecond = 0.00002;
  const file = join(dir, 'eu-test-1.json');
  await writeFile(file, JSON.stringify(other));
  const loaded = await loadPriceTable(file);
  t.equal(loaded.region, 'eu-test-1');
  // 1024 MB x 1000 ms = 1 GB-s x $0.00002.
  close(t, invocationCost(makeRecord({ memoryMb: 1024, durationMs: 1000, billedMs: 1000 }), loaded).durationUsd, 0.00002, 'priced with the swapped table');
});

t.test('a bad price file is refused with an error naming the field', async (t) => {
  const base = () => structuredClone(defaultPriceTable()) as PriceTable & Record<string, unknown>;
  const missing = base() as Record<string, unknown>;
  delete missing['requests'];
  t.throws(() => parsePriceTable(missing), { code: 'LEDGER_INVALID_PRICE_TABLE', field: '/requests' });

  const noSource = base();
  (noSource.provisionedConcurrency.arm64 as { source?: string }).source = 'not a url';
  t.throws(() => parsePriceTable(noSource), { code: 'LEDGER_INVALID_PRICE_TABLE', field: '/provisionedConcurrency/arm64/source' });

  const badTiers = base();
  badTiers.duration.arm64.tiers[1]!.upToGbSeconds = 1;
  t.throws(() => parsePriceTable(badTiers), { code: 'LEDGER_INVALID_PRICE_TABLE', field: '/duration/arm64/tiers/1/upToGbSeconds' });

  const openMiddle = base();
  openMiddle.duration.x86_64.tiers[0]!.upToGbSeconds = null;
  t.throws(() => parsePriceTable(openMiddle), { code: 'LEDGER_INVALID_PRICE_TABLE', field: '/duration/x86_64/tiers/0/upToGbSeconds' });

  const tooPrecise = base();
  tooPrecise.requests.usdPerRequest = 1.23456789e-13;
  t.throws(() => parsePriceTable(tooPrecise), { code: 'LEDGER_INVALID_PRICE_TABLE', field: '/requests/usdPerRequest' });

  const dir = await mkdtemp(join(tmpdir(), 'ledger-prices-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'bad.json'), '{ not json');
  await t.rejects(loadPriceTable(join(dir, 'bad.json')), { code: 'LEDGER_INVALID_PRICE_TABLE', file: join(dir, 'bad.json') });
  await t.rejects(loadPriceTable(join(dir, 'absent.json')), { code: 'LEDGER_INVALID_PRICE_TABLE' });
});
