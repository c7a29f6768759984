import t from 'tap';
import { DEFAULT_MAX_UNZIPPED_BYTES } from './limits.js';
import { inspectZip } from './inspect-zip.js';
import { deflatedZeros, rawZip } from './test-util/raw-zip.js';

const MiB = 1024 * 1024;
/** Inflation stops at the first 64 KiB chunk past the limit. */
const CHUNK = 64 * 1024;

t.test('a small bomb with lying headers is refused as soon as the inflated bytes pass the limit', async (t) => {
  const zeros = await deflatedZeros(5 * MiB);
  t.ok(zeros.stored.length < 10 * 1024, `5 MiB of zeros deflate to ${zeros.stored.length} bytes`);
  // The headers claim 100 bytes; only counting what inflates can catch it.
  const bomb = rawZip([{ name: 'zeros.bin', stored: zeros.stored, uncompressedSize: 100, crc32: zeros.crc32 }]);
  const err = await inspectZip(bomb, { maxUnzippedBytes: MiB }).catch((e: unknown) => e);
  t.match(err, {
    name: 'CodeError',
    code: 'TOO_LARGE_UNZIPPED',
    message: `Unzipped size must be smaller than ${MiB} bytes`,
    limit: MiB,
  });
  const observed = (err as { observed: number }).observed;
  t.ok(observed > MiB && observed <= MiB + CHUNK, `stopped right after the limit (${observed} bytes inflated)`);
});

t.test('the count carries across entries', async (t) => {
  const zeros = await deflatedZeros(2 * MiB);
  const honest = { name: 'honest.bin', stored: zeros.stored, uncompressedSize: 2 * MiB, crc32: zeros.crc32 };
  const liar = { name: 'liar.bin', stored: zeros.stored, uncompressedSize: 1, crc32: zeros.crc32 };
  // Headers add up to 2 MiB + 1 byte, under the 3 MiB limit; the second entry passes it while
  // inflating, counted on top of the first.
  const err = await inspectZip(rawZip([honest, liar]), { maxUnzippedBytes: 3 * MiB }).catch((e: unknown) => e);
  t.match(err, { code: 'TOO_LARGE_UNZIPPED' });
  t.ok((err as { observed: number }).observed > 3 * MiB);
  // A liar that stays under the limit is refused as corrupt once its entry ends.
  await t.rejects(inspectZip(rawZip([liar]), { maxUnzippedBytes: 3 * MiB }), {
    code: 'NOT_A_ZIP',
    entryName: 'liar.bin',
    detail: /inflates to 2097152 bytes but its header says 1/,
  });
});

t.test('honest headers over the limit are refused without inflating', async (t) => {
  const zeros = await deflatedZeros(5 * MiB);
  const honest = rawZip([{ name: 'zeros.bin', stored: zeros.stored, uncompressedSize: 5 * MiB, crc32: zeros.crc32 }]);
  await t.rejects(inspectZip(honest, { maxUnzippedBytes: MiB }), { code: 'TOO_LARGE_UNZIPPED', observed: 5 * MiB });
  const info = await inspectZip(honest, { maxUnzippedBytes: 5 * MiB });
  t.equal(info.unzippedSize, 5 * MiB, 'exactly at the limit is accepted');
});

t.test('the default 250 MB limit counts real inflated bytes, quickly and in little memory', async (t) => {
  const total = 300 * MiB;
  const zeros = await deflatedZeros(total);
  t.ok(zeros.stored.length < 400 * 1024, `300 MiB of zeros deflate to ${zeros.stored.length} bytes`);
  t.ok(zeros.stored.length < 50 * MiB, 'well under the zipped limit');
  // The header claims 4 KiB, so the only defence is the byte counter.
  const bomb = rawZip([{ name: 'bomb.bin', stored: zeros.stored, uncompressedSize: 4096, crc32: zeros.crc32 }]);

  global.gc?.();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakBuffers = before.arrayBuffers;
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakBuffers = Math.max(peakBuffers, now.arrayBuffers);
  }, 2);
  const started = performance.now();
  const err = await inspectZip(bomb).catch((e: unknown) => e);
  const elapsed = performance.now() - started;
  clearInterval(sampler);

  t.match(err, {
    code: 'TOO_LARGE_UNZIPPED',
    message: 'Unzipped size must be smaller than 262144000 bytes',
    limit: DEFAULT_MAX_UNZIPPED_BYTES,
  });
  const observed = (err as { observed: number }).observed;
  const stoppedRightAfter = observed > DEFAULT_MAX_UNZIPPED_BYTES && observed <= DEFAULT_MAX_UNZIPPED_BYTES + CHUNK;
  t.ok(stoppedRightAfter, `inflated ${observed} bytes, then stopped`);
  t.ok(elapsed < 10_000, `took ${Math.round(elapsed)} ms`);
  // Holding the inflated data would need 250 MB; streaming needs a few chunks.
  t.ok(peakRss - before.rss < 100 * MiB, `rss grew by ${Math.round((peakRss - before.rss) / MiB)} MiB`);
  const bufferGrowth = peakBuffers - before.arrayBuffers;
  t.ok(bufferGrowth < 64 * MiB, `buffers grew by ${Math.round(bufferGrowth / MiB)} MiB`);
});
