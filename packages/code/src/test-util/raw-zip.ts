/**
 * Test-only: a tiny zip writer that writes exactly what it is told, including what honest tools
 * refuse to write (`../` names, lying sizes, symlinks to `/etc`, encryption flags, mismatched local
 * headers). Not exported from the package and excluded from the build.
 */
import { crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';

/** One entry, described at the byte level. */
export interface RawEntry {
  /** The stored name (a string is written as UTF-8 with flag bit 11). */
  name: string | Buffer;
  /** Content; compressed with deflate when `method` is 8 (the default), stored as-is when 0. */
  content?: string | Buffer;
  /** Bytes to store verbatim (already compressed); overrides `content`. Needs `uncompressedSize` and `crc32`. */
  stored?: Buffer;
  /** 0 = stored, 8 = deflate (default), anything else is written as given. */
  method?: number;
  /** Overrides the uncompressed size in both headers (to lie). */
  uncompressedSize?: number;
  /** Overrides the CRC-32 in both headers. */
  crc32?: number;
  /** Unix mode written into the high 16 bits of the external attributes, e.g. 0o100644 or 0o120777. */
  mode?: number;
  /** MS-DOS attributes for the low byte of the external attributes (0x10 = directory). */
  dosAttributes?: number;
  /** Extra general-purpose flag bits (1 = encrypted, 0x40 = strong encryption). */
  flags?: number;
  /** Extra field bytes, written into both headers. */
  extra?: Buffer;
  /** Writes a different name into the local header only. */
  localName?: string | Buffer;
}

/** Options for the whole archive. */
export interface RawZipOptions {
  /** Overrides the entry count in the end-of-central-directory record (zip64 records past 65,535). */
  entryCount?: number;
}

function nameBytes(name: string | Buffer): Buffer {
  return typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
}

/** Writes a zip from `entries`, byte by byte. */
export function rawZip(entries: readonly RawEntry[], options: RawZipOptions = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const method = e.method ?? 8;
    const content = typeof e.content === 'string' ? Buffer.from(e.content) : (e.content ?? Buffer.alloc(0));
    const stored = e.stored ?? (method === 8 ? deflateRawSync(content) : content);
    const size = e.uncompressedSize ?? content.length;
    const crc = e.crc32 ?? crc32(content);
    const name = nameBytes(e.name);
    const localName = e.localName === undefined ? name : nameBytes(e.localName);
    const extra = e.extra ?? Buffer.alloc(0);
    const flags = (e.flags ?? 0) | (typeof e.name === 'string' ? 0x800 : 0);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(size >>> 0, 22);
    local.writeUInt16LE(localName.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const localRecord = Buffer.concat([local, localName, extra, stored]);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(size >>> 0, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt16LE(0, 32);
    central.writeUInt16LE(0, 34);
    central.writeUInt16LE(0, 36);
    central.writeUInt32LE((((e.mode ?? 0o100644) << 16) | (e.dosAttributes ?? 0)) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(Buffer.concat([central, name, extra]));
    locals.push(localRecord);
    offset += localRecord.length;
  }
  const centralDir = Buffer.concat(centrals);
  const count = options.entryCount ?? entries.length;
  // More than 65,535 entries need the zip64 end records (the classic one keeps 0xFFFF as a marker).
  const zip64 = count > 0xffff ? zip64EndRecords(count, centralDir.length, offset) : [];
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(Math.min(count, 0xffff), 8);
  eocd.writeUInt16LE(Math.min(count, 0xffff), 10);
  eocd.writeUInt32LE(centralDir.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralDir, ...zip64, eocd]);
}

/** The zip64 end-of-central-directory record and its locator, for `count` entries. */
function zip64EndRecords(count: number, centralDirBytes: number, centralDirOffset: number): Buffer[] {
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4); // size of what follows this field
  record.writeUInt16LE((3 << 8) | 45, 12);
  record.writeUInt16LE(45, 14);
  record.writeBigUInt64LE(BigInt(count), 24);
  record.writeBigUInt64LE(BigInt(count), 32);
  record.writeBigUInt64LE(BigInt(centralDirBytes), 40);
  record.writeBigUInt64LE(BigInt(centralDirOffset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(centralDirOffset + centralDirBytes), 8);
  locator.writeUInt32LE(1, 16);
  return [record, locator];
}

/** Deflated zeros, made by streaming a 1 MiB block so that memory stays low for hundreds of MB. */
export async function deflatedZeros(totalBytes: number): Promise<{ stored: Buffer; crc32: number }> {
  const block = Buffer.alloc(1024 * 1024);
  const deflate = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  let crc = 0;
  for (let left = totalBytes; left > 0; left -= block.length) {
    const piece = left >= block.length ? block : block.subarray(0, left);
    crc = crc32(piece, crc);
    if (!deflate.write(piece)) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await done;
  return { stored: Buffer.concat(out), crc32: crc };
}
