import type { FunctionSpec } from '@zonesim/protocol';

/** A function configuration for unit tests: `key` is its specKey and name. */
export function testSpec(key: string, memoryMb = 128): FunctionSpec {
  return {
    specKey: key,
    functionName: key,
    version: '$LATEST',
    functionArn: `arn:aws:lambda:us-east-1:123456789012:function:${key}`,
    codeSha256Hex: 'b'.repeat(64),
    handler: 'index.handler',
    runtime: 'nodejs20.x',
    memoryMb,
    timeoutSec: 3,
    architecture: 'x86_64',
    environment: {},
    region: 'us-east-1',
  };
}
