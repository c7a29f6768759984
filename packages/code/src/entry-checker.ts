/**
 * Counting inflated bytes. A zip bomb lies in its headers, so the unzipped limit is enforced on the
 * bytes that actually come out of the inflater, chunk by chunk, and inflation stops at the first
 * chunk that passes it. The same pass checks each entry's CRC-32 and size against its
 * central-directory record (yauzl checks neither when used as here).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import { notAZip, tooLargeUnzipped } from './refusals.js';

/** The unzipped-bytes allowance shared by all entries of one archive. */
export class UnzippedBudget {
  /** Inflated bytes counted so far. */
  used = 0;

  constructor(readonly limit: number) {}

  /**
   * Counts `bytes` more.
   * @throws CodeError `TOO_LARGE_UNZIPPED` as soon as the total passes the limit.
   */
  add(bytes: number): void {
    this.used += bytes;
    if (this.used > this.limit) throw tooLargeUnzipped(this.limit, this.used);
  }
}

/** What the central directory promises about one entry. */
export interface EntryExpectation {
  readonly name: string;
  readonly uncompressedSize: number;
  readonly crc32: number;
}

/**
 * A pass-through stream placed right after the inflater. It counts every chunk against the
 * {@link UnzippedBudget} before passing it on, and at the end compares size and CRC with the header.
 *
 * The size comparison waits for the end of the entry on purpose: a bomb whose header claims a few
 * bytes is then refused as `TOO_LARGE_UNZIPPED` by the budget (the error a user can act on), while an
 * entry that is merely a little off is refused as corrupt (`NOT_A_ZIP`). Either way no more than the
 * limit plus one chunk is ever inflated.
 */
export class EntryChecker extends Transform {
  private count = 0;
  private crc = 0;

  constructor(
    private readonly budget: UnzippedBudget,
    private readonly expect: EntryExpectation,
    private readonly signal?: AbortSignal,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.signal?.aborted) {
      callback(this.signal.reason as Error);
      return;
    }
    this.count += chunk.length;
    try {
      this.budget.add(chunk.length);
    } catch (err) {
      callback(err as Error);
      return;
    }
    this.crc = crc32(chunk, this.crc);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    try {
      checkEntryEnd(this.expect, this.count, this.crc);
    } catch (err) {
      callback(err as Error);
      return;
    }
    callback();
  }
}

/**
 * The same checks for an entry inflated in one piece: count it, then compare size and CRC.
 * @throws CodeError `TOO_LARGE_UNZIPPED` or `NOT_A_ZIP`.
 */
export function checkWholeEntry(budget: UnzippedBudget, expect: EntryExpectation, data: Buffer): void {
  budget.add(data.length);
  checkEntryEnd(expect, data.length, crc32(data));
}

function checkEntryEnd(expect: EntryExpectation, count: number, crc: number): void {
  if (count !== expect.uncompressedSize) {
    const detail = `entry inflates to ${count} bytes but its header says ${expect.uncompressedSize}`;
    throw notAZip(detail, undefined, expect.name);
  }
  if (crc >>> 0 !== expect.crc32 >>> 0) throw notAZip('entry fails its CRC-32 check', undefined, expect.name);
}
