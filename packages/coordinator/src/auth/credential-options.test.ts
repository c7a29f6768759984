import t from 'tap';
import { resolveCoordinatorOptions } from '../options.js';

const base = { dataDir: '/tmp/zonesim-options-test', clusterToken: 'token' };

t.test('API credentials: none means authentication off', async (t) => {
  const o = resolveCoordinatorOptions(base);
  t.equal(o.accessKeyId, undefined);
  t.equal(o.secretAccessKey, undefined);
});

t.test('API credentials: both, kept as given', async (t) => {
  const o = resolveCoordinatorOptions({ ...base, accessKeyId: 'AKID_1.x-y', secretAccessKey: 'wJalr/K7+EXAMPLE=' });
  t.equal(o.accessKeyId, 'AKID_1.x-y');
  t.equal(o.secretAccessKey, 'wJalr/K7+EXAMPLE=');
});

t.test('API credentials: one without the other, or a shape SigV4 cannot carry, names the field', async (t) => {
  t.throws(() => resolveCoordinatorOptions({ ...base, accessKeyId: 'AKID' }), /coordinator option secretAccessKey is required when accessKeyId is set/);
  t.throws(() => resolveCoordinatorOptions({ ...base, secretAccessKey: 's' }), /coordinator option accessKeyId is required when secretAccessKey is set/);
  t.throws(() => resolveCoordinatorOptions({ ...base, accessKeyId: 'AK/ID', secretAccessKey: 's' }), /coordinator option accessKeyId must be/);
  t.throws(() => resolveCoordinatorOptions({ ...base, accessKeyId: 'x'.repeat(129), secretAccessKey: 's' }), /coordinator option accessKeyId must be/);
  t.throws(() => resolveCoordinatorOptions({ ...base, accessKeyId: 'AKID', secretAccessKey: 'with space' }), /coordinator option secretAccessKey must be/);
  t.throws(() => resolveCoordinatorOptions({ ...base, accessKeyId: 'AKID', secretAccessKey: 's'.repeat(257) }), /coordinator option secretAccessKey must be/);
});
