import t from 'tap';
import { detailWrites, formatLedgerDetail, parseLedgerDetail, resolveLedgerDetail, sampleFraction, type LedgerDetail } from './ledger-detail.js';

t.test('parseLedgerDetail reads full, aggregate and sampled:<rate>', async (t) => {
  t.same(parseLedgerDetail('full'), { level: 'full' });
  t.same(parseLedgerDetail(' aggregate '), { level: 'aggregate' });
  t.same(parseLedgerDetail('sampled:0.01'), { level: 'sampled', rate: 0.01 });
  t.same(parseLedgerDetail('sampled:1'), { level: 'sampled', rate: 1 });
  t.same(parseLedgerDetail('sampled:.5'), { level: 'sampled', rate: 0.5 });
  t.same(parseLedgerDetail('sampled:1e-3'), { level: 'sampled', rate: 0.001 });
  for (const d of [{ level: 'full' }, { level: 'aggregate' }, { level: 'sampled', rate: 0.25 }] as LedgerDetail[]) {
    t.same(parseLedgerDetail(formatLedgerDetail(d)), d, `${formatLedgerDetail(d)} round-trips`);
  }
});

t.test('bad text and bad rates are errors naming the field', async (t) => {
  t.throws(() => parseLedgerDetail('partial'), { code: 'LEDGER_INVALID_OPTION', field: 'detail' });
  t.throws(() => parseLedgerDetail('sampled'), { code: 'LEDGER_INVALID_OPTION', field: 'detail' });
  t.throws(() => parseLedgerDetail('sampled:0'), { code: 'LEDGER_INVALID_OPTION', field: 'detail.rate' });
  t.throws(() => parseLedgerDetail('sampled:1.5'), { code: 'LEDGER_INVALID_OPTION', field: 'detail.rate' });
  t.throws(() => parseLedgerDetail('sampled:-0.1'), { code: 'LEDGER_INVALID_OPTION', field: 'detail.rate' });
  t.throws(() => parseLedgerDetail('sampled:ten'), { code: 'LEDGER_INVALID_OPTION', field: 'detail.rate' });
  t.throws(() => parseLedgerDetail('sampled:0x10', 'ledgerDetail'), { code: 'LEDGER_INVALID_OPTION', field: 'ledgerDetail.rate' });
  t.throws(() => resolveLedgerDetail({ level: 'sampled', rate: Number.NaN }), { code: 'LEDGER_INVALID_OPTION', field: 'detail.rate', message: /\(0, 1\]/ });
  t.throws(() => resolveLedgerDetail({ level: 'sampled' } as unknown as LedgerDetail), { code: 'LEDGER_INVALID_OPTION', field: 'detail.rate' });
  t.throws(() => resolveLedgerDetail({ level: 'some' } as unknown as LedgerDetail), { code: 'LEDGER_INVALID_OPTION', field: 'detail.level' });
  t.same(resolveLedgerDetail(undefined), { level: 'full' }, 'the default');
});

t.test('sampling is a pure function of requestId and attempt, near the rate', async (t) => {
  t.equal(sampleFraction('req-1', 1), sampleFraction('req-1', 1));
  t.not(sampleFraction('req-1', 1), sampleFraction('req-1', 2), 'each attempt is drawn on its own');
  const sampled: LedgerDetail = { level: 'sampled', rate: 0.1 };
  const ids = Array.from({ length: 20_000 }, (_, i) => `c0ffee00-0000-4000-8000-${String(i).padStart(12, '0')}`);
  const kept = ids.filter((requestId) => detailWrites(sampled, { requestId, attempt: 1 })).length;
  t.ok(kept > 1800 && kept < 2200, `${kept} of 20,000 kept at rate 0.1`);
  t.equal(ids.filter((requestId) => detailWrites(sampled, { requestId, attempt: 1 })).length, kept, 'the same ones again');
  t.equal(ids.filter((requestId) => detailWrites({ level: 'full' }, { requestId, attempt: 1 })).length, ids.length);
  t.equal(ids.filter((requestId) => detailWrites({ level: 'aggregate' }, { requestId, attempt: 1 })).length, 0);
  t.equal(ids.filter((requestId) => detailWrites({ level: 'sampled', rate: 1 }, { requestId, attempt: 1 })).length, ids.length);
  // A smaller rate keeps a subset of a larger one's sample (the same draw, a lower bar).
  const small = new Set(ids.filter((requestId) => detailWrites({ level: 'sampled', rate: 0.01 }, { requestId, attempt: 1 })));
  t.ok([...small].every((id) => detailWrites(sampled, { requestId: id, attempt: 1 })));
});
