// Issue 8, must show: a shell custom runtime (a bootstrap loop with curl against
// AWS_LAMBDA_RUNTIME_API) deploys and answers, and its errors and init errors come back with Lambda's
// shapes; an OCI image layout built here from files (layers tarred by the test, manifest and config
// written by it) deploys, answers, and fails over to another zone when its zone node is killed; an
// image tarball with a layer entry escaping the root is refused.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { buildZip } from '@zonesim/code';
import { testCluster, tempDir } from './harness/cluster.js';
import { api, invoke } from './harness/lambda.js';
import { waitFor } from './harness/processes.js';
import { dockerArchive, layoutTarball, ociLayoutFiles, writeLayout, type TarEntrySpec } from '../packages/coordinator/src/images/test-util/oci-image.js';

const ROLE = 'arn:aws:iam::000000000000:role/test';

/** The Lambda docs' tutorial runtime, in /bin/sh with curl, acting on the event's `do` field. */
const BOOTSTRAP = `#!/bin/sh
set -u
API="http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
echo "cold start of \${_HANDLER}"
HEADERS=$(mktemp)
while true; do
  EVENT=$(curl -sS -D "$HEADERS" "$API/invocation/next")
  ID=$(grep -i '^lambda-runtime-aws-request-id:' "$HEADERS" | tr -d '\\r' | cut -d' ' -f2)
  echo "handling $ID"
  case "$EVENT" in
    *fail*) curl -sS -o /dev/null -X POST -H 'Lambda-Runtime-Function-Error-Type: Function.BadInput' "$API/invocation/$ID/error" \\
              -d '{"errorMessage":"bad input","errorType":"Function.BadInput","stackTrace":["bootstrap line 12"]}' ;;
    *) curl -sS -o /dev/null -X POST "$API/invocation/$ID/response" \\
              -d "{\\"handler\\":\\"$_HANDLER\\",\\"greeting\\":\\"\${GREETING:-none}\\",\\"gone\\":\\"$(test -e "$LAMBDA_TASK_ROOT/secret.txt" && echo no || echo yes)\\",\\"event\\":$EVENT}" ;;
  esac
done
`;

const INIT_FAILS = `#!/bin/sh
echo "reading configuration"
curl -sS -o /dev/null -X POST -H 'Lambda-Runtime-Function-Error-Type: Runtime.NoConfig' \\
  "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/init/error" \\
  -d '{"errorMessage":"CONFIG is not set","errorType":"Runtime.NoConfig","stackTrace":[]}'
exit 1
`;

function logTail(res: { headers: Headers }): string {
  return Buffer.from(res.headers.get('x-amz-log-result') ?? '', 'base64').toString('utf8');
}

t.test('a shell custom runtime (provided.al2023) deploys and answers; errors and init errors have Lambda shapes', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  const zip = await buildZip({ bootstrap: { content: BOOTSTRAP, mode: 0o755 } });
  const created = await api(cluster.apiUrl, 'POST', '/2015-03-31/functions', {
    FunctionName: 'shell',
    Runtime: 'provided.al2023',
    Handler: 'function.handler',
    Role: ROLE,
    Code: { ZipFile: zip.toString('base64') },
    Environment: { Variables: { GREETING: 'hello' } },
  });
  t.equal(created.status, 201, created.text);
  t.equal(created.json.Runtime, 'provided.al2023');
  t.equal(created.json.PackageType, 'Zip');

  const first = await invoke(cluster.apiUrl, 'shell', { n: 1 }, { 'x-amz-log-type': 'Tail' });
  t.equal(first.status, 200, first.text);
  t.same(first.json, { handler: 'function.handler', greeting: 'hello', gone: 'yes', event: { n: 1 } });
  t.equal(first.headers.get('x-zonesim-cold'), 'true');
  const tail = logTail(first);
  t.match(tail, /cold start of function\.handler/);
  t.match(tail, /START RequestId: \S+ Version: \$LATEST/);
  t.match(tail, /handling \S+/);
  t.match(tail, /REPORT RequestId: \S+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms/);
  const billed = Number(first.headers.get('x-zonesim-billed-ms'));
  const initMs = Number(first.headers.get('x-zonesim-init-ms'));
  t.ok(billed >= initMs, `INIT is billed for provided runtimes (billed ${billed} ms, init ${initMs} ms)`);

  const warm = await invoke(cluster.apiUrl, 'shell', { n: 2 });
  t.same(warm.json.event, { n: 2 });
  t.equal(warm.headers.get('x-zonesim-cold'), 'false', 'the bootstrap process is reused');

  const failed = await invoke(cluster.apiUrl, 'shell', { do: 'fail' });
  t.equal(failed.status, 200);
  t.equal(failed.headers.get('x-amz-function-error'), 'Unhandled');
  t.same(failed.json, { errorMessage: 'bad input', errorType: 'Function.BadInput', stackTrace: ['bootstrap line 12'] });
  t.equal((await invoke(cluster.apiUrl, 'shell', { n: 3 })).headers.get('x-zonesim-cold'), 'false', 'a function error keeps the environment');

  const zip2 = await buildZip({ bootstrap: { content: INIT_FAILS, mode: 0o755 } });
  t.equal((await api(cluster.apiUrl, 'POST', '/2015-03-31/functions', {
    FunctionName: 'initfails', Runtime: 'provided.al2', Handler: 'x', Role: ROLE, Code: { ZipFile: zip2.toString('base64') },
  })).status, 201);
  const initFailed = await invoke(cluster.apiUrl, 'initfails', {}, { 'x-amz-log-type': 'Tail' });
  t.equal(initFailed.status, 200);
  t.equal(initFailed.headers.get('x-amz-function-error'), 'Unhandled');
  t.same(initFailed.json, { errorMessage: 'CONFIG is not set', errorType: 'Runtime.NoConfig', stackTrace: [] });
  t.match(logTail(initFailed), /INIT_REPORT Init Duration: [\d.]+ ms\tPhase: init\tStatus: error\tError Type: Runtime\.NoConfig/);

  // A zip without a bootstrap: Lambda's Runtime.InvalidEntrypoint on the first invoke.
  const zip3 = await buildZip({ 'handler.sh': 'echo' });
  await api(cluster.apiUrl, 'POST', '/2015-03-31/functions', { FunctionName: 'noboot', Runtime: 'provided.al2023', Handler: 'x', Role: ROLE, Code: { ZipFile: zip3.toString('base64') } });
  const noBoot = await invoke(cluster.apiUrl, 'noboot');
  t.equal(noBoot.json.errorType, 'Runtime.InvalidEntrypoint');
});

/** The image's layers: a base with the runtime and a file, then a layer that deletes that file. */
function imageLayers(): Array<{ entries: TarEntrySpec[]; gzip?: boolean }> {
  return [
    {
      gzip: true,
      entries: [
        { name: 'var/', type: 'dir' },
        { name: 'var/task/', type: 'dir' },
        { name: 'var/task/bootstrap', content: BOOTSTRAP, mode: 0o755 },
        { name: 'var/task/secret.txt', content: 'deleted by the next layer' },
      ],
    },
    { entries: [{ name: 'var/task/.wh.secret.txt' }, { name: 'var/task/README', content: 'layer 2' }] },
  ];
}

const IMAGE_CONFIG = { Entrypoint: ['/var/task/bootstrap'], Cmd: ['app.handler'], Env: ['GREETING=from-the-image', 'PATH=/usr/local/bin:/usr/bin:/bin'], WorkingDir: '/var/task' };

interface ZonesView {
  zones: Array<{ zone: string; health: string }>;
}

t.test('an OCI image layout built from files deploys, answers, and fails over when its zone dies', async (t) => {
  // Host paths are read only under the operator's image directories (docs/runtimes.md).
  const dir = await tempDir(t);
  const cluster = await testCluster(t, { zoneCount: 3, coordinatorArgs: ['--image-dir', dir] });
  const layoutDir = join(dir, 'layout');
  const { files, digest } = ociLayoutFiles(imageLayers(), IMAGE_CONFIG);
  writeLayout(layoutDir, files);

  const created = await api(cluster.apiUrl, 'POST', '/2015-03-31/functions', {
    FunctionName: 'img',
    PackageType: 'Image',
    Role: ROLE,
    Code: { ImageUri: layoutDir },
    MemorySize: 256,
  });
  t.equal(created.status, 201, created.text);
  t.equal(created.json.PackageType, 'Image');
  t.notOk('Runtime' in created.json, 'no Runtime for an image');
  t.equal(created.json.CodeSha256, digest.slice('sha256:'.length));
  const got = await api(cluster.apiUrl, 'GET', '/2015-03-31/functions/img');
  t.same(got.json.Code, { RepositoryType: 'ECR', ImageUri: layoutDir, ResolvedImageUri: `${layoutDir}@${digest}` });

  const first = await invoke(cluster.apiUrl, 'img', { k: 'v' });
  t.equal(first.status, 200, first.text);
  t.same(first.json, { handler: 'app.handler', greeting: 'from-the-image', gone: 'yes', event: { k: 'v' } }, "Cmd[0] is _HANDLER, the image's Env applies, the whiteout removed the file");
  const zone = first.headers.get('x-zonesim-zone')!;
  t.ok(zone);

  // SIGKILL the zone node that ran it; the next invocations run in another zone.
  const victim = cluster.zoneNodes.find((z) => z.zone === zone)!;
  victim.handle.signal('SIGKILL');
  await victim.handle.exited;
  await waitFor(async () => ((await api(cluster.apiUrl, 'GET', '/zonesim/v1/zones')).json as ZonesView).zones.find((z) => z.zone === zone)?.health === 'down', 10_000, 'the killed zone to be down');
  const after = await invoke(cluster.apiUrl, 'img', { k: 'again' });
  t.equal(after.status, 200, after.text);
  t.same(after.json.event, { k: 'again' });
  t.not(after.headers.get('x-zonesim-zone'), zone, `ran in another zone (${after.headers.get('x-zonesim-zone')})`);
  t.equal(after.headers.get('x-zonesim-cold'), 'true', 'a cold start there, from the same image root');

  // ImageConfig overrides the image's Cmd (and so _HANDLER).
  const updated = await api(cluster.apiUrl, 'PUT', '/2015-03-31/functions/img/configuration', { ImageConfig: { Command: ['other.handler'] } });
  t.equal(updated.status, 200, updated.text);
  t.same(updated.json.ImageConfigResponse, { ImageConfig: { Command: ['other.handler'] } });
  t.equal((await invoke(cluster.apiUrl, 'img')).json.handler, 'other.handler');
});

t.test('images as tarballs: docker-archive uploaded through PUT /zonesim/v1/images, OCI archive by path; an escaping entry is refused', async (t) => {
  const dir = await tempDir(t);
  const cluster = await testCluster(t, { zoneCount: 1, coordinatorArgs: ['--image-dir', dir] });

  const docker = dockerArchive(imageLayers().map((l) => l.entries), IMAGE_CONFIG);
  const upload = await api(cluster.apiUrl, 'PUT', '/zonesim/v1/images/shell-image', docker, { 'content-type': 'application/x-tar' });
  t.equal(upload.status, 201, upload.text);
  t.equal(upload.json.ImageUri, 'zonesim://images/shell-image');
  t.match(upload.json.ImageDigest, /^sha256:[0-9a-f]{64}$/);
  t.equal((await api(cluster.apiUrl, 'POST', '/2015-03-31/functions', {
    FunctionName: 'uploaded', PackageType: 'Image', Role: ROLE, Code: { ImageUri: upload.json.ImageUri },
  })).status, 201);
  t.same((await invoke(cluster.apiUrl, 'uploaded', { x: 1 })).json, { handler: 'app.handler', greeting: 'from-the-image', gone: 'yes', event: { x: 1 } });

  const notAnImage = await api(cluster.apiUrl, 'PUT', '/zonesim/v1/images/junk', 'not a tarball at all', { 'content-type': 'application/x-tar' });
  t.equal(notAnImage.status, 400);
  t.equal(notAnImage.errorType, 'InvalidParameterValueException');

  const ociArchive = join(dir, 'image.tar');
  writeFileSync(ociArchive, layoutTarball(ociLayoutFiles(imageLayers(), IMAGE_CONFIG).files));
  t.equal((await api(cluster.apiUrl, 'POST', '/2015-03-31/functions', {
    FunctionName: 'ociarchive', PackageType: 'Image', Role: ROLE, Code: { ImageUri: `file://${ociArchive}` },
  })).status, 201);
  t.equal((await invoke(cluster.apiUrl, 'ociarchive')).json.greeting, 'from-the-image');

  // A layer entry that climbs out of the root: refused, naming the entry; nothing is deployed.
  const evil = join(dir, 'evil.tar');
  const layers = imageLayers();
  layers[1]!.entries.push({ name: 'var/task/../../../escaped.txt', content: 'owned' });
  writeFileSync(evil, layoutTarball(ociLayoutFiles(layers, IMAGE_CONFIG).files));
  const refused = await api(cluster.apiUrl, 'POST', '/2015-03-31/functions', {
    FunctionName: 'evil', PackageType: 'Image', Role: ROLE, Code: { ImageUri: evil },
  });
  t.equal(refused.status, 400);
  t.equal(refused.errorType, 'InvalidParameterValueException');
  t.match(refused.json.message, /"var\/task\/\.\.\/\.\.\/\.\.\/escaped\.txt"/, refused.text);
  t.equal((await api(cluster.apiUrl, 'GET', '/2015-03-31/functions/evil')).status, 404);

  // The same through the upload endpoint and an absolute symlink target that leaves the root.
  const link = [...imageLayers()];
  link[1] = { entries: [{ name: 'var/task/up', type: 'symlink', linkname: '../../..' }] };
  const uploadedEvil = await api(cluster.apiUrl, 'PUT', '/zonesim/v1/images/evil', dockerArchive(link.map((l) => l.entries), IMAGE_CONFIG));
  t.equal(uploadedEvil.status, 201, 'the upload only reads the manifest');
  const refused2 = await api(cluster.apiUrl, 'POST', '/2015-03-31/functions', { FunctionName: 'evil2', PackageType: 'Image', Role: ROLE, Code: { ImageUri: 'zonesim://images/evil' } });
  t.equal(refused2.errorType, 'InvalidParameterValueException');
  t.match(refused2.json.message, /"var\/task\/up" is a symbolic link to "\.\.\/\.\.\/\.\." that points outside the image root/);

  const registry = await api(cluster.apiUrl, 'POST', '/2015-03-31/functions', { FunctionName: 'ecr', PackageType: 'Image', Role: ROLE, Code: { ImageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest' } });
  t.equal(registry.errorType, 'InvalidParameterValueException');
  t.match(registry.json.message, /does not pull from registries/);
});
