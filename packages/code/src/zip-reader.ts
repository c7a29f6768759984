/**
 * A thin promise layer over yauzl, used for the central directory only (entry data is sliced out of
 * the buffer by `entry-data.ts`). Every reader failure becomes `NOT_A_ZIP` (or `ENCRYPTED`), so
 * callers only ever see {@link CodeError}s for bad archives. yauzl is used with
 * `decodeStrings: false` (names are decoded and checked by this package, not rewritten: yauzl would
 * silently turn `\` into `/`) and `validateEntrySizes: false` (sizes are checked by the byte counter,
 * which also enforces the unzipped limit).
 */
import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import { encrypted, notAZip } from './refusals.js';

/** Opens an in-memory archive; reads only the end-of-central-directory record. */
export function openZip(buffer: Buffer): Promise<ZipFile> {
  if (buffer.length === 0) return Promise.reject(notAZip('the file is empty'));
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(
      buffer,
      { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: false, strictFileNames: true },
      (err, zip) => (err ? reject(readerError(err)) : resolve(zip)),
    );
  });
}

/**
 * Reads every central-directory record, handing each to `onEntry` in archive order. `onEntry` may
 * throw to stop reading.
 */
export function readEntries(zip: ZipFile, onEntry: (entry: Entry) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      zip.removeAllListeners('entry');
      zip.removeAllListeners('end');
      zip.removeAllListeners('error');
    };
    zip.on('entry', (entry: Entry) => {
      try {
        onEntry(entry);
      } catch (err) {
        cleanup();
        reject(err);
        return;
      }
      zip.readEntry();
    });
    zip.once('end', () => {
      cleanup();
      resolve();
    });
    zip.once('error', (err: Error) => {
      cleanup();
      reject(readerError(err));
    });
    zip.readEntry();
  });
}

/**
 * Maps a yauzl error to a refusal. yauzl reports strong encryption only by message, before handing
 * out the entry, hence the one message test.
 */
function readerError(err: Error): Error {
  if (/encryption/i.test(err.message)) return encrypted(undefined);
  return notAZip(err.message, err);
}
