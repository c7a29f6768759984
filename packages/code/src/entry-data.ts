/**
 * Locating and inflating one entry's bytes inside the in-memory archive. yauzl reads the central
 * directory; the data itself is sliced straight out of the buffer (no copy, no file handle), which
 * keeps per-entry overhead low for packages with tens of thousands of small files.
 */
import { Readable } from 'node:stream';
import { inflateRawSync } from 'node:zlib';
import type { Entry } from 'yauzl';
import { notAZip } from './refusals.js';

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const LOCAL_HEADER_SIZE = 30;
/** Size of the pieces fed to a streaming inflater. */
const FEED_BYTES = 64 * 1024;

/**
 * The stored (possibly compressed) bytes of `entry`, after checking its local header.
 * @throws CodeError `NOT_A_ZIP` for a missing or inconsistent local header, or data past the end.
 */
export function storedBytes(zip: Buffer, entry: Entry, name: string): Buffer {
  const at = entry.relativeOffsetOfLocalHeader;
  if (at + LOCAL_HEADER_SIZE > zip.length || zip.readUInt32LE(at) !== LOCAL_HEADER_SIGNATURE) {
    throw notAZip('local file header missing or invalid', undefined, name);
  }
  const nameLength = zip.readUInt16LE(at + 26);
  const extraLength = zip.readUInt16LE(at + 28);
  const nameStart = at + LOCAL_HEADER_SIZE;
  // Tools that stream a zip read names from the local headers, zonesim from the central directory.
  // An archive whose two copies disagree means different things to different readers, which is how
  // checks get bypassed, so it is refused as corrupt.
  const localName = zip.subarray(nameStart, nameStart + nameLength);
  if (nameStart + nameLength > zip.length || !localName.equals(entry.fileNameRaw)) {
    throw notAZip('the local header names a different file than the central directory', undefined, name);
  }
  const dataStart = nameStart + nameLength + extraLength;
  const dataEnd = dataStart + entry.compressedSize;
  if (dataEnd > zip.length) throw notAZip('entry data runs past the end of the archive', undefined, name);
  return zip.subarray(dataStart, dataEnd);
}

/**
 * Inflates small entries in one call, refusing to produce more than `maxBytes`: returns `undefined`
 * when the output would be larger (the caller then streams it, counting as it goes), so memory use
 * stays bounded by `maxBytes` whatever the headers claim.
 * @throws CodeError `NOT_A_ZIP` for corrupt deflate data.
 */
export function inflateBounded(stored: Buffer, method: number, maxBytes: number, name: string): Buffer | undefined {
  if (method === 0) return stored.length <= maxBytes ? stored : undefined;
  try {
    return inflateRawSync(stored, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return undefined;
    throw notAZip(`entry data is corrupt: ${(err as Error).message}`, err, name);
  }
}

/** The stored bytes as a stream of 64 KiB pieces, for the streaming inflater. */
export function storedStream(stored: Buffer): Readable {
  return Readable.from(
    (function* pieces() {
      for (let at = 0; at < stored.length; at += FEED_BYTES) yield stored.subarray(at, at + FEED_BYTES);
    })(),
    { objectMode: false },
  );
}
