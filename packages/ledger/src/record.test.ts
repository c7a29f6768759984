import t from 'tap';
import { attemptRan, LEDGER_FORMAT_VERSION, parseLedgerRecord, validateLedgerRecord } from './record.js';
import { makeRecord } from './test-util/records.js';

t.test('a record round-trips through one NDJSON line', async (t) => {
  const record = makeRecord({ qualifier: 'live', faultIds: ['f1'], cold: true, initMs: 12.5, ephemeralStorageMb: 1024 });
  const line = JSON.stringify(record);
  t.notMatch(line, /\n/);
  t.same(parseLedgerRecord(line), record);
  t.equal(record.v, LEDGER_FORMAT_VERSION);
});

t.test('errors name the field', async (t) => {
  const { billedMs: _omit, ...withoutBilled } = makeRecord();
  t.throws(() => parseLedgerRecord(JSON.stringify(withoutBilled)), { code: 'LEDGER_INVALID_RECORD', field: '/billedMs' });
  t.throws(() => validateLedgerRecord({ ...makeRecord(), attempt: 0 }), { code: 'LEDGER_INVALID_RECORD', field: '/attempt' });
  t.throws(() => validateLedgerRecord({ ...makeRecord(), memoryMb: 64 }), { code: 'LEDGER_INVALID_RECORD', field: '/memoryMb' });
  t.throws(() => validateLedgerRecord({ ...makeRecord(), version: 'v1' }), { code: 'LEDGER_INVALID_RECORD', field: '/version' });
  t.throws(() => validateLedgerRecord({ ...makeRecord(), outcome: 'ok' }), { code: 'LEDGER_INVALID_RECORD', field: '/outcome' });
  t.throws(() => validateLedgerRecord({ ...makeRecord(), v: 2 }), { code: 'LEDGER_INVALID_RECORD', field: '/v' });
  t.throws(() => validateLedgerRecord({ ...makeRecord(), faultIds: [''] }), { code: 'LEDGER_INVALID_RECORD', field: '/faultIds/0' });
  t.throws(() => validateLedgerRecord([]), { code: 'LEDGER_INVALID_RECORD' });
  const err = t.throws(() => parseLedgerRecord('{"v":1,', { file: 'ledger-000001.ndjson', line: 7 })) as Error;
  t.match(err, { code: 'LEDGER_MALFORMED_RECORD', file: 'ledger-000001.ndjson', line: 7 });
  t.match(err.message, /ledger-000001\.ndjson:7/);
});

t.test('an attempt that never ran must carry billedMs 0', async (t) => {
  t.throws(() => validateLedgerRecord(makeRecord({ outcome: 'throttled', billedMs: 5 })), { code: 'LEDGER_INVALID_RECORD', field: '/billedMs' });
  t.throws(() => validateLedgerRecord(makeRecord({ outcome: 'service-error', billedMs: 5 })), { code: 'LEDGER_INVALID_RECORD', field: '/billedMs' });
  t.ok(validateLedgerRecord(makeRecord({ outcome: 'lost', billedMs: 5 })), 'a lost attempt may have run');
});

t.test('unknown fields are accepted (an added optional field stays version 1)', async (t) => {
  t.ok(parseLedgerRecord(JSON.stringify({ ...makeRecord(), futureField: 1 })));
});

t.test('attemptRan', async (t) => {
  t.equal(attemptRan({ outcome: 'success', billedMs: 1 }), true);
  t.equal(attemptRan({ outcome: 'function-error', billedMs: 0 }), true);
  t.equal(attemptRan({ outcome: 'throttled', billedMs: 0 }), false);
  t.equal(attemptRan({ outcome: 'lost', billedMs: 0 }), false);
  t.equal(attemptRan({ outcome: 'lost', billedMs: 3 }), true);
});
