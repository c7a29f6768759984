import type { Test } from 'tap';
import type { FunctionSpec } from '@zonesim/protocol';
import { createEnvironmentFactory, type EnvironmentComponents, type EnvironmentOptions } from '../environment/index.js';
import type { ResponseStreamTarget } from '../environment/response-stream.js';
import type { EnvironmentInvokeResult, ExecutionEnvironment, IsolationMode } from '../environment/types.js';

/** One environment under test and how to invoke it. */
export interface TestEnvironment {
  env: ExecutionEnvironment;
  /** One invocation of `event` (JSON); request ids are numbered unless given; `stream` reads the response as a stream. */
  invoke(event?: unknown, extra?: { requestId?: string; signal?: AbortSignal; clientContext?: string; stream?: ResponseStreamTarget }): Promise<EnvironmentInvokeResult>;
}

let nextId = 0;

/**
 * An environment of `spec` in `codeDir`, made by the factory as a zone node makes it (memory sampled
 * every 20 ms), destroyed at `t`'s teardown.
 */
export function testEnvironment(
  t: Test,
  o: { spec: FunctionSpec; codeDir: string; isolation?: IsolationMode; components?: EnvironmentComponents; settings?: EnvironmentOptions; platformEnv?: Record<string, string>; defaultEvent?: unknown },
): TestEnvironment {
  const id = ++nextId;
  const env = createEnvironmentFactory(o.isolation ?? 'process', { memoryPollMs: 20, ...o.settings }, o.components ?? {}).create({
    environmentId: `env-test-${id}`,
    spec: o.spec,
    codeDir: o.codeDir,
    logStreamName: '2026/01/02/[$LATEST]0123456789abcdef0123456789abcdef',
    initializationType: 'on-demand',
    ...(o.platformEnv ? { platformEnv: o.platformEnv } : {}),
  });
  t.teardown(() => env.destroy('test over'));
  let n = 0;
  return {
    env,
    invoke: (event = o.defaultEvent ?? {}, extra = {}) =>
      env.invoke(
        {
          requestId: extra.requestId ?? `req-${id}-${++n}`,
          payload: Buffer.from(JSON.stringify(event)),
          invokedFunctionArn: o.spec.functionArn,
          ...(extra.clientContext === undefined ? {} : { clientContext: extra.clientContext }),
          ...(extra.stream === undefined ? {} : { stream: extra.stream }),
        },
        extra.signal ? { signal: extra.signal } : {},
      ),
  };
}
