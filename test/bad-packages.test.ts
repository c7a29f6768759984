// Issue 2, must show: zip slip, zip bomb and not-a-zip uploads are refused at CreateFunction with
// InvalidParameterValueException and leave nothing behind.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import t from 'tap';
import { testCluster } from './harness/cluster.js';
import { api } from './harness/lambda.js';

/** A minimal zip writer for hostile archives that zip libraries refuse to produce. */
function rawZip(entries: Array<{ name: string; data: Buffer; deflate?: boolean; mode?: number }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const body = e.deflate ? deflateRawSync(e.data, { level: 9 }) : e.data;
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by unix, so the mode bits count
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(e.deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((e.mode ?? 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

const handler = Buffer.from('export const handler = async () => 1;');

const BAD: Array<[string, Buffer, RegExp]> = [
  ['not a zip', Buffer.from('this is not a zip file at all'), /unzip|zip/i],
  ['empty', Buffer.alloc(0), /zip/i],
  ['zip slip ../', rawZip([{ name: 'index.mjs', data: handler }, { name: '../../etc/evil.js', data: handler }]), /.+/],
  ['absolute path', rawZip([{ name: '/tmp/evil.js', data: handler }]), /.+/],
  ['symlink out of the root', rawZip([{ name: 'index.mjs', data: handler }, { name: 'link', data: Buffer.from('../../../etc/passwd'), mode: 0o120777 }]), /.+/],
  // 300 MB of zeros deflate to about 300 KB: the headers say so honestly here, and the coordinator
  // must still count what actually inflates.
  ['zip bomb', rawZip([{ name: 'index.mjs', data: handler }, { name: 'zeros.bin', data: Buffer.alloc(300 * 1024 * 1024), deflate: true }]), /262144000|unzipped/i],
];

t.test('bad packages are refused and leave nothing behind', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  const blobs = join(cluster.dataDir, 'coordinator', 'code');
  const before = await readdir(blobs, { recursive: true }).catch(() => []);
  for (const [name, zip, message] of BAD) {
    const res = await api(cluster.apiUrl, 'POST', '/2015-03-31/functions', {
      FunctionName: 'evil',
      Runtime: 'nodejs20.x',
      Role: 'arn:aws:iam::000000000000:role/test',
      Handler: 'index.handler',
      Code: { ZipFile: zip.toString('base64') },
    });
    t.equal(res.status, 400, `${name}: HTTP 400`);
    t.equal(res.errorType, 'InvalidParameterValueException', `${name}: ${res.text.slice(0, 200)}`);
    t.match(res.json?.message, message, `${name}: message says why`);
  }
  const after = await readdir(blobs, { recursive: true }).catch(() => []);
  t.same(after, before, 'no code was stored');
  const list = await api(cluster.apiUrl, 'GET', '/2015-03-31/functions');
  t.same(list.json.Functions, [], 'no function was created');
});
