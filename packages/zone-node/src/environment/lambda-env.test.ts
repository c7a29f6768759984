import t from 'tap';
import type { FunctionSpec } from '@zonesim/protocol';
import { LAMBDA_DEFAULT_PATH, RESERVED_ENV_NAMES, buildLambdaEnvironment, resolveEnvironmentSettings } from './index.js';
import type { EnvironmentConfig } from './types.js';

const spec: FunctionSpec = {
  specKey: 'k',
  functionName: 'orders',
  version: '7',
  functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:orders:7',
  codeSha256Hex: 'c'.repeat(64),
  handler: 'src/app.main',
  runtime: 'nodejs20.x',
  memoryMb: 1769,
  timeoutSec: 30,
  architecture: 'arm64',
  environment: { TABLE: 'orders', AWS_REGION: 'nope', _HANDLER: 'evil.handler', LAMBDA_TASK_ROOT: '/etc' },
  region: 'ap-south-1',
};
const config: EnvironmentConfig = {
  environmentId: 'env-1',
  spec,
  codeDir: '/srv/code/abc',
  logStreamName: '2026/01/02/[7]00000000000000000000000000000000',
  initializationType: 'provisioned-concurrency',
  platformEnv: { AWS_ENDPOINT_URL: 'http://127.0.0.1:1', TZ: 'Asia/Tokyo' },
};

t.test('reserved variables, function variables and platform variables', async (t) => {
  const env = buildLambdaEnvironment(config, '/opt/zonesim/runtime', '/usr/bin:/bin');
  t.same(env, {
    LANG: 'en_US.UTF-8',
    PATH: '/usr/bin:/bin:/opt/bin',
    NODE_PATH: '/opt/nodejs/node20/node_modules:/opt/nodejs/node_modules:/opt/zonesim/runtime/node_modules',
    TABLE: 'orders',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
    _HANDLER: 'src/app.main',
    AWS_REGION: 'ap-south-1',
    AWS_DEFAULT_REGION: 'ap-south-1',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
    AWS_LAMBDA_FUNCTION_NAME: 'orders',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1769',
    AWS_LAMBDA_FUNCTION_VERSION: '7',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'provisioned-concurrency',
    AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/orders',
    AWS_LAMBDA_LOG_STREAM_NAME: '2026/01/02/[7]00000000000000000000000000000000',
    LAMBDA_TASK_ROOT: '/srv/code/abc',
    LAMBDA_RUNTIME_DIR: '/opt/zonesim/runtime',
    TZ: ':UTC',
    AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001',
  });
  for (const name of RESERVED_ENV_NAMES) t.ok(name in env, name);
});

t.test('nothing of the zone node leaks in; PATH falls back to Lambda default', async (t) => {
  process.env['ZONESIM_TEST_LEAK'] = 'x';
  t.teardown(() => delete process.env['ZONESIM_TEST_LEAK']);
  const env = buildLambdaEnvironment(config, '/r', '');
  t.notOk('ZONESIM_TEST_LEAK' in env);
  t.notOk('NODE_OPTIONS' in env);
  t.equal(env['PATH'], `${LAMBDA_DEFAULT_PATH}:/opt/bin`);
});

t.test('settings: defaults and validation naming the field', async (t) => {
  t.same(resolveEnvironmentSettings(), {
    initTimeoutMs: 10_000,
    shutdownGraceMs: 2_000,
    memoryPollMs: 50,
    maxLogBytesPerInvocation: 1024 * 1024,
    killWaitMs: 5_000,
  });
  t.throws(() => resolveEnvironmentSettings({ memoryPollMs: 0 }), { code: 'INVALID_OPTION', field: 'memoryPollMs' });
  t.throws(() => resolveEnvironmentSettings({ initTimeoutMs: 1.5 }), { code: 'INVALID_OPTION', field: 'initTimeoutMs' });
});
