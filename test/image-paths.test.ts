// Issue 15, finding 6 (smaller): image errors revealed which host paths exist. An API caller
// probing the coordinator's machine through ImageUri (a file that exists, one that does not, a
// directory, a root-only file, a link out of the image directory) must get one and the same answer,
// repeating only what it wrote. Host paths are read only under the operator's --image-dir.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { layoutTarball, ociLayoutFiles, writeLayout } from '../packages/coordinator/src/images/test-util/oci-image.js';
import { testCluster, tempDir } from './harness/cluster.js';
import { api } from './harness/lambda.js';

const ROLE = 'arn:aws:iam::000000000000:role/test';
const IMAGE = ociLayoutFiles([{ entries: [{ name: 'var/task/app.sh', content: '#!/bin/sh\n', mode: 0o755 }] }], { Entrypoint: ['/var/task/app.sh'] });

async function createImageFunction(apiUrl: string, name: string, imageUri: string) {
  return api(apiUrl, 'POST', '/2015-03-31/functions', { FunctionName: name, PackageType: 'Image', Role: ROLE, Code: { ImageUri: imageUri } });
}

/** The refusal's message with the caller's own uri taken out: what must not differ between probes. */
function shape(message: string, uri: string): string {
  return message.split(uri).join('<uri>').split(JSON.stringify(uri)).join('<uri>');
}

t.test('ImageUri probes of host paths all get the same refusal, naming nothing the caller did not write', async (t) => {
  const imageDir = await tempDir(t);
  const outside = await tempDir(t);
  writeLayout(join(imageDir, 'layout'), IMAGE.files);
  writeFileSync(join(imageDir, 'image.tar'), layoutTarball(IMAGE.files));
  // An image outside the image directory, and links from inside it to the outside.
  writeLayout(join(outside, 'layout'), IMAGE.files);
  symlinkSync(join(outside, 'layout'), join(imageDir, 'escape'));
  symlinkSync('/etc', join(imageDir, 'etc'));
  mkdirSync(join(imageDir, 'empty'));
  const cluster = await testCluster(t, { zoneCount: 1, coordinatorArgs: ['--image-dir', imageDir] });

  // Inside the image directory, images deploy by path and by file:// URL.
  t.equal((await createImageFunction(cluster.apiUrl, 'bylayout', join(imageDir, 'layout'))).status, 201);
  t.equal((await createImageFunction(cluster.apiUrl, 'bytarball', `file://${join(imageDir, 'image.tar')}`)).status, 201);

  const probes = [
    '/etc/shadow', // exists, root-only
    '/etc/passwd', // exists, readable
    '/etc', // a directory
    '/root/x', // does not exist, under a root-only directory
    '/definitely/not/here',
    'file:///etc/hostname',
    'file:///no/such/file',
    join(outside, 'layout'), // a real image, outside the image directory
    join(imageDir, '..', 'outside-by-dots'), // climbs out by its text
    join(imageDir, 'escape'), // a link inside that leads to a real image outside
    join(imageDir, 'etc', 'passwd'), // a link inside that leads to a host file
    join(imageDir, 'missing'), // inside, but nothing there
    '/dev/null', // neither a file nor a directory
  ];
  const shapes = new Set<string>();
  for (const [i, uri] of probes.entries()) {
    const res = await createImageFunction(cluster.apiUrl, `probe${i}`, uri);
    t.equal(res.status, 400, `${uri}: 400`);
    t.equal(res.errorType, 'InvalidParameterValueException', `${uri}: ${res.text}`);
    const message = String(res.json?.message ?? '');
    shapes.add(shape(message, uri));
    // Nothing the caller did not write: not the target of a link, not the data directory.
    t.notMatch(message, cluster.dataDir, `${uri}: no data directory in the message`);
    if (uri.includes(join(imageDir, 'escape'))) t.notMatch(message, outside, 'the link target is not shown');
    if (uri.includes(join(imageDir, 'etc'))) t.notMatch(message.split(uri).join(''), '/etc', 'the link target is not shown');
  }
  t.equal(shapes.size, 1, `one refusal for every probe: ${[...shapes].join(' | ')}`);

  // UpdateFunctionCode takes the same path through the same check.
  const update = await api(cluster.apiUrl, 'PUT', '/2015-03-31/functions/bylayout/code', { ImageUri: '/etc/shadow' });
  t.equal(update.status, 400);
  t.equal(shape(String(update.json?.message), '/etc/shadow'), [...shapes][0]);

  // An upload that does not exist is named by its uri, never by where uploads are kept.
  const upload = await createImageFunction(cluster.apiUrl, 'noupload', 'zonesim://images/nothing-here');
  t.equal(upload.errorType, 'InvalidParameterValueException');
  t.notMatch(upload.json.message, cluster.dataDir);
  t.match(upload.json.message, /zonesim:\/\/images\/nothing-here/);
});

t.test('without --image-dir no host path is read, however real the image', async (t) => {
  const dir = await tempDir(t);
  writeLayout(join(dir, 'layout'), IMAGE.files);
  const cluster = await testCluster(t, { zoneCount: 1 });
  const real = await createImageFunction(cluster.apiUrl, 'real', join(dir, 'layout'));
  const missing = await createImageFunction(cluster.apiUrl, 'missing', join(dir, 'nothing'));
  t.equal(real.status, 400);
  t.equal(real.errorType, 'InvalidParameterValueException');
  t.equal(shape(real.json.message, join(dir, 'layout')), shape(missing.json.message, join(dir, 'nothing')), 'an existing image and a missing path look the same');
  t.match(real.json.message, /--image-dir/, 'says how to allow it');
});
