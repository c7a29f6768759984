import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { systemClock } from '@zonesim/common';
import type { AsyncEvent } from './async-event.js';
import { buildDestinationRecord } from './destination-record.js';
import { storeDestinationDelivery } from './destinations.js';
import { EventStore } from './event-store.js';

const account = { region: 'us-east-1', accountId: '000000000000' };

t.test('storeDestinationDelivery enqueues the record once per source finish, with the target config', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zonesim-async-'));
  const store = new EventStore({ dataDir: dir }, { clock: systemClock });
  t.teardown(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const deliver = storeDestinationDelivery(store, {
    account,
    configFor: (name, qualifier) => (name === 'sink' && qualifier === 'prod' ? { maxRetryAttempts: 0, maxEventAgeSec: 120 } : undefined),
  });
  await store.enqueue({ eventId: 'src', functionName: 'f', payload: Buffer.from('{"a":1}') });
  const source = store.get('src') as AsyncEvent;
  const record = buildDestinationRecord({ event: source, condition: 'RetriesExhausted', at: 0, functionArn: 'arn:f' });
  await deliver('arn:aws:lambda:us-east-1:000000000000:function:sink:prod', record, source);
  await deliver('arn:aws:lambda:us-east-1:000000000000:function:sink:prod', record, source);
  t.equal(store.stats().queued, 2, 'the source and one destination event: a second delivery of the same finish is a no-op');
  const [dest] = store.claimDue(Number.MAX_SAFE_INTEGER, 10).filter((e) => e.functionName === 'sink');
  t.match(dest, { qualifier: 'prod', maxRetryAttempts: 0, maxEventAgeSec: 120, destinationDepth: 1 });
  t.same(JSON.parse(dest!.payload.toString()), JSON.parse(JSON.stringify(record)));

  await t.rejects(deliver('arn:aws:lambda:eu-west-1:000000000000:function:sink', record, source), { name: 'LambdaApiError' }, 'a function in another region is not found');
  await t.rejects(deliver('sink', record, { ...source, destinationDepth: 16 }), { code: 'RECURSIVE_INVOCATION', limit: 16, observed: 17 });
});
