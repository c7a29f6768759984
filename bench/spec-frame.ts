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
import { msgpackCodec, parseCoordinatorFrame, type FunctionSpec } from '@zonesim/protocol';
import { runMain } from './lib/cleanup.js';

const N = Number(process.argv[2] ?? 200_000);

const fn: FunctionSpec = {
  specKey: 'noop:$LATEST:1f0c2b6a9d3e4f5a6b7c8d9e0f1a2b3c',
  functionName: 'noop',
  version: '$LATEST',
  functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:noop',
  codeSha256Hex: 'a'.repeat(64),
  handler: 'index.handler',
  runtime: 'nodejs20.x',
  memoryMb: 128,
  timeoutSec: 3,
  architecture: 'x86_64',
  environment: { STAGE: 'bench', GREETING: 'hello' },
  region: 'us-east-1',
};

const base = {
  type: 'invoke',
  invocationId: 'i-abcdefghijkl',
  requestId: 'a6f1c1d2-7b1e-4c3a-9f00-123456789abc',
  payload: new Uint8Array(Buffer.from('{}')),
  invokedFunctionArn: fn.functionArn,
  logTail: false,
  acceptBy: Date.now() + 5_000,
};

function time(fn: () => void): number {
  const t0 = performance.now();
  for (let i = 0; i < N; i++) fn();
  return ((performance.now() - t0) / N) * 1000;
}

runMain(async () => {
  const kinds = { 'full spec': { ...base, fn }, 'specKey only': { ...base, specKey: fn.specKey } };
  for (let round = 1; round <= 3; round++) {
    for (const [name, message] of Object.entries(kinds)) {
      const frame = msgpackCodec.encode(message);
      const encodeUs = time(() => msgpackCodec.encode(message));
      const decodeUs = time(() => parseCoordinatorFrame(msgpackCodec, frame));
      console.log(`round ${round}  ${name.padEnd(12)}  ${String(frame.length).padStart(4)} B  encode ${encodeUs.toFixed(2)} us  decode+validate ${decodeUs.toFixed(2)} us`);
    }
  }
});
