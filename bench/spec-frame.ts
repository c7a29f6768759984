/**
 * Recommendation 7 of the profiling notes, measured before deciding: what an `invoke` frame costs
 * with its full `FunctionSpec` (as sent today) against one that names the spec by `specKey` only
 * (what sending the spec once per node would leave). Times the coordinator's encode and the zone
 * node's decode plus validation, in one process, alternated over three rounds.
 *
 *   node --import=tsx bench/spec-frame.ts [frames=200000]
 *
 * The key-only frame is not a valid message today; its validation time is that of the checker
 * rejecting it at the missing `fn`, which is no less work than accepting it. Not part of `npm run bench`.
 */
import { msgpackCodec, parseCoordinatorFrame } from '@zonesim/protocol';
import { runMain } from './lib/cleanup.js';
import { invokeFrame } from './lib/frames.js';

const N = Number(process.argv[2] ?? 200_000);

function time(fn: () => void): number {
  const t0 = performance.now();
  for (let i = 0; i < N; i++) fn();
  return ((performance.now() - t0) / N) * 1000;
}

runMain(async () => {
  // The invoke frame of the bare ws baseline, with its realistic FunctionSpec.
  const full = invokeFrame('i-abcdefghijkl');
  const { fn, ...rest } = full as { fn: { specKey: string } };
  const kinds = { 'full spec': full, 'specKey only': { ...rest, specKey: fn.specKey } };
  for (let round = 1; round <= 3; round++) {
    for (const [name, message] of Object.entries(kinds)) {
      const frame = msgpackCodec.encode(message);
      const encodeUs = time(() => msgpackCodec.encode(message));
      const decodeUs = time(() => parseCoordinatorFrame(msgpackCodec, frame));
      console.log(`round ${round}  ${name.padEnd(12)}  ${String(frame.length).padStart(4)} B  encode ${encodeUs.toFixed(2)} us  decode+validate ${decodeUs.toFixed(2)} us`);
    }
  }
});
