import { randomUUID } from 'node:crypto';

/**
 * Frames shaped like the zone link's `invoke` and `invoke-result` (packages/protocol/src/messages.ts),
 * with realistic field values, for the bare ws + msgpackr baseline.
 */
export function invokeFrame(invocationId: string): Record<string, unknown> {
  return {
    type: 'invoke',
    invocationId,
    requestId: randomUUID(),
    fn: {
      specKey: 'noop:$LATEST:0f3c1a2b-6d7e-4f80-9a1b-2c3d4e5f6a7b',
      functionName: 'noop',
      version: '$LATEST',
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:noop',
      codeSha256Hex: 'a'.repeat(64),
      handler: 'index.handler',
      runtime: 'nodejs20.x',
      memoryMb: 128,
      timeoutSec: 3,
      architecture: 'x86_64',
      environment: {},
      region: 'us-east-1',
    },
    payload: Buffer.from('{}'),
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:noop',
    logTail: false,
    acceptBy: Date.now() + 800,
  };
}

export function invokeResultFrame(invocationId: string): Record<string, unknown> {
  const now = Date.now();
  return {
    type: 'invoke-result',
    invocationId,
    outcome: 'success',
    payload: Buffer.from('null'),
    placement: { zone: 'az-a', nodeId: 'az-a-node-1', environmentId: 'env-0f3c1a2b6d7e', cold: false },
    timings: { receivedAt: now, startedAt: now, endedAt: now, durationMs: 0.05, billedMs: 1, memorySizeMb: 128, maxMemoryUsedMb: 52 },
    environmentKept: true,
  };
}
