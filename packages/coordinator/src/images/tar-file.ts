import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { createHash } from 'node:crypto';
import tar from 'tar-stream';
import { ImageError, ImageErrorCode, isImageError } from './image-errors.js';

/**
 * Reading a tar file (plain or gzip) entry by entry with `tar-stream`, so that every entry's path,
 * type and size can be checked before a byte of it is written anywhere. Compression is recognised
 * by magic number, not by media type (registries and `docker save` disagree on the latter).
 */

/** One entry's header, as tar-stream parsed it (pax and GNU long names already applied). */
export type TarHeader = Partial<tar.Header> & { name: string };

/** One entry's contents, as a stream to read once (or leave: the reader drains what is left). */
export type TarBody = AsyncIterable<Buffer>;

/** What to do with one entry. */
export type TarVisitor = (header: TarHeader, body: TarBody) => Promise<void>;

/** Options of {@link readTarFile}. */
export interface ReadTarOptions {
  /** Stop reading past this many bytes of tar stream (after decompression): a gzip bomb guard. */
  maxTarBytes: number;
  /** Called with the SHA-256 (hex) of the file's raw bytes and of the tar stream, once read whole. */
  onDigests?(digests: { rawSha256: string; tarSha256: string }): void;
  signal?: AbortSignal;
}

const GZIP = [0x1f, 0x8b];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];

async function magic(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await handle.read(buf, 0, 4, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function startsWith(buf: Buffer, bytes: number[]): boolean {
  return buf.length >= bytes.length && bytes.every((b, i) => buf[i] === b);
}

/** A pass-through that hashes and counts, failing past `max` bytes. */
function meter(max: number, what: string): Transform & { sha256(): string } {
  const hash = createHash('sha256');
  let seen = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > max) {
        done(new ImageError(ImageErrorCode.TooLarge, `${what} is larger than ${max} bytes once decompressed`));
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  }) as Transform & { sha256(): string };
  let digest: string | undefined;
  t.sha256 = () => (digest ??= hash.digest('hex'));
  return t;
}

/**
 * Reads the tar at `path` (gzip or plain), calling `visit` for each entry in order.
 * @throws ImageError for zstd layers, corrupt archives, or more than `maxTarBytes`.
 */
export async function readTarFile(path: string, what: string, visit: TarVisitor, options: ReadTarOptions): Promise<void> {
  const head = await magic(path);
  if (startsWith(head, ZSTD)) throw new ImageError(ImageErrorCode.Unsupported, `${what} is zstd-compressed; zonesim reads plain and gzip layers only`);
  const raw = meter(Number.MAX_SAFE_INTEGER, what);
  const tarMeter = meter(options.maxTarBytes, what);
  const extract = tar.extract();
  const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream> = [createReadStream(path), raw];
  if (startsWith(head, GZIP)) stages.push(createGunzip());
  stages.push(tarMeter, extract);
  const piping = pipeline(stages as unknown as [Readable, ...NodeJS.WritableStream[]], options.signal ? { signal: options.signal } : {});
  // Whichever fails first wins; the other is then awaited quietly.
  piping.catch(() => undefined);
  try {
    for await (const entry of extract) {
      await visit(entry.header, entry as unknown as TarBody);
      // Drain what the visitor left, so the parser can reach the next header.
      entry.resume();
    }
    await piping;
  } catch (err) {
    extract.destroy();
    const pipeErr = await piping.then(() => undefined, (e: unknown) => e);
    const real = isImageError(err) ? err : isImageError(pipeErr) ? pipeErr : err;
    if (isImageError(real)) throw real;
    if (options.signal?.aborted) throw options.signal.reason;
    throw new ImageError(ImageErrorCode.Malformed, `${what} is not a readable tar archive: ${(real as Error).message}`, undefined, { cause: real });
  }
  options.onDigests?.({ rawSha256: raw.sha256(), tarSha256: tarMeter.sha256() });
}
