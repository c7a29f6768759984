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

/** A function configuration named `name` in eu-west-1 (ARN `...:function:<name>`), with `overrides`. */
export function functionSpecFor(name: string, overrides: Partial<FunctionSpec> = {}): FunctionSpec {
  return {
    specKey: `${name}:1`,
    functionName: name,
    version: '$LATEST',
    functionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${name}`,
    codeSha256Hex: 'c'.repeat(64),
    handler: 'index.handler',
    runtime: 'nodejs20.x',
    memoryMb: 128,
    timeoutSec: 3,
    architecture: 'x86_64',
    environment: {},
    region: 'eu-west-1',
    ...overrides,
  };
}
