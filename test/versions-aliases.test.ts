// Issue 3 (versions and aliases): UpdateFunctionCode / UpdateFunctionConfiguration, PublishVersion,
// ListVersionsByFunction, qualifiers in every form, aliases with weighted routing, DeleteFunction
// with a qualifier.
import t from 'tap';
import { buildZip } from '@zonesim/code';
import { testCluster } from './harness/cluster.js';
import { api, deploy, invoke } from './harness/lambda.js';

const code = (answer: string) => ({ 'index.mjs': `export const handler = async () => '${answer}:' + process.env.STAGE;` });
const F = '/2015-03-31/functions/v';

t.test('versions, qualifiers and aliases', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 2 });
  t.equal((await deploy(cluster.apiUrl, 'v', code('one'), { Publish: true, Environment: { Variables: { STAGE: 'a' } } })).status, 201);

  const same = await api(cluster.apiUrl, 'POST', `${F}/versions`, {});
  t.equal(same.status, 201);
  t.equal(same.json.Version, '1', 'nothing changed since version 1 (published by CreateFunction): it is returned');
  t.equal(same.json.FunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:v:1');

  // New code and configuration on $LATEST; version 1 stays as it was.
  const zip = (await buildZip(code('two'))).toString('base64');
  const updated = await api(cluster.apiUrl, 'PUT', `${F}/code`, { ZipFile: zip });
  t.equal(updated.status, 200, updated.text);
  t.not(updated.json.CodeSha256, same.json.CodeSha256);
  const conf = await api(cluster.apiUrl, 'PUT', `${F}/configuration`, { Environment: { Variables: { STAGE: 'b' } }, MemorySize: 256 });
  t.equal(conf.status, 200, conf.text);
  t.equal(conf.json.MemorySize, 256);
  const stale = await api(cluster.apiUrl, 'PUT', `${F}/configuration`, { Timeout: 5, RevisionId: same.json.RevisionId });
  t.equal(stale.status, 412, 'an old RevisionId is refused');
  t.equal(stale.errorType, 'PreconditionFailedException');
  const badMemory = await api(cluster.apiUrl, 'PUT', `${F}/configuration`, { MemorySize: 20000 });
  t.equal(badMemory.errorType, 'ValidationException');

  const v2 = await api(cluster.apiUrl, 'POST', `${F}/versions`, { Description: 'second' });
  t.equal(v2.json.Version, '2');
  t.equal(v2.json.Description, 'second');
  const list = await api(cluster.apiUrl, 'GET', `${F}/versions`);
  t.same(list.json.Versions.map((v: { Version: string }) => v.Version), ['$LATEST', '1', '2']);

  t.equal((await invoke(cluster.apiUrl, 'v:1', {})).json, 'one:a', 'version 1 runs its own code and configuration');
  t.equal((await invoke(cluster.apiUrl, 'v', {})).json, 'two:b', '$LATEST runs the new ones');
  const byQuery = await api(cluster.apiUrl, 'POST', `${F}/invocations?Qualifier=2`, {});
  t.equal(byQuery.headers.get('x-amz-executed-version'), '2');
  const byArn = await invoke(cluster.apiUrl, 'arn:aws:lambda:us-east-1:000000000000:function:v:1', {});
  t.equal(byArn.headers.get('x-amz-executed-version'), '1');
  t.equal((await api(cluster.apiUrl, 'GET', `${F}/configuration?Qualifier=1`)).json.MemorySize, 128);
  const noSuch = await invoke(cluster.apiUrl, 'v:9', {});
  t.equal(noSuch.status, 404);
  t.equal(noSuch.errorType, 'ResourceNotFoundException');

  const alias = await api(cluster.apiUrl, 'POST', `${F}/aliases`, { Name: 'live', FunctionVersion: '1' });
  t.equal(alias.status, 201, alias.text);
  t.equal(alias.json.AliasArn, 'arn:aws:lambda:us-east-1:000000000000:function:v:live');
  t.equal((await api(cluster.apiUrl, 'POST', `${F}/aliases`, { Name: 'live', FunctionVersion: '1' })).errorType, 'ResourceConflictException');
  t.equal((await api(cluster.apiUrl, 'POST', `${F}/aliases`, { Name: '123', FunctionVersion: '1' })).status, 400, 'an alias name cannot be all digits');
  t.equal((await api(cluster.apiUrl, 'POST', `${F}/aliases`, { Name: 'x', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '7': 0.1 } } })).status, 400, 'the additional version must exist');
  t.equal((await invoke(cluster.apiUrl, 'v:live', {})).headers.get('x-amz-executed-version'), '1');

  // Weighted routing: 30 % to version 2, over a few hundred invocations.
  const shifted = await api(cluster.apiUrl, 'PUT', `${F}/aliases/live`, { RoutingConfig: { AdditionalVersionWeights: { '2': 0.3 } } });
  t.equal(shifted.status, 200, shifted.text);
  t.same(shifted.json.RoutingConfig, { AdditionalVersionWeights: { '2': 0.3 } });
  const N = 300;
  let toTwo = 0;
  for (let i = 0; i < N; i += 20) {
    const batch = await Promise.all(Array.from({ length: 20 }, () => invoke(cluster.apiUrl, 'v:live', {})));
    for (const r of batch) {
      t.equal(r.status, 200);
      if (r.headers.get('x-amz-executed-version') === '2') {
        toTwo++;
        if (r.json !== 'two:b') t.fail('version 2 must run its own code');
      }
    }
  }
  // Binomial(300, 0.3): mean 90, sd about 7.9; 5 sd either side fails only when routing is wrong.
  t.ok(toTwo > 50 && toTwo < 130, `${toTwo} of ${N} went to version 2 (expected about 90)`);
  const aliases = await api(cluster.apiUrl, 'GET', `${F}/aliases`);
  t.same(aliases.json.Aliases.map((a: { Name: string }) => a.Name), ['live']);

  t.equal((await api(cluster.apiUrl, 'DELETE', `${F}?Qualifier=1`)).status, 409, 'a version an alias points at cannot be deleted');
  t.equal((await api(cluster.apiUrl, 'DELETE', `${F}/aliases/live`)).status, 204);
  t.equal((await api(cluster.apiUrl, 'GET', `${F}/aliases/live`)).status, 404);
  t.equal((await api(cluster.apiUrl, 'DELETE', `${F}?Qualifier=1`)).status, 204);
  t.equal((await invoke(cluster.apiUrl, 'v:1', {})).status, 404, 'the deleted version is gone');
  t.equal((await invoke(cluster.apiUrl, 'v:2', {})).json, 'two:b', 'the others remain');
});
