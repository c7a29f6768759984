// Entry point of an execution environment, run with plain `node` (a child process) or as a worker
// thread; both get the same code. It plays the part of Lambda's runtime (RIC src/index.mjs): patch
// the console, load the handler (INIT), then run one invocation per `invoke` message.
//
// Messages from the host:    {type:'init', memoryLimitBytes, memoryPollMs, maxLogBytes?, bind?: {env, cwd}}
//                            {type:'invoke', requestId, payload, deadlineMs, invokedFunctionArn, clientContext?, traceId?}
//                            {type:'shutdown'}
// Messages to the host:      {type:'log', line}                  (worker only; a process writes fd 1, see output.mjs)
//                            {type:'log-dropped', count}         (worker only: lines past the bound)
//                            {type:'init-done', ok, error?, memoryBytes, logMark?}
//                            {type:'chunk', requestId, data, contentType?}  (a streaming handler's bytes, response-stream.mjs)
//                            {type:'result', requestId, ok, payload? | error?, fatal, streamed?, contentType?, memoryBytes, logMark?}
//                            {type:'fatal', error}          (uncaught error outside an invocation)
//                            {type:'over-memory'}           (worker only: external memory over the limit)
// The TypeScript side of this contract is packages/zone-node/src/environment/runtime-messages.ts.
import { openChannel } from './channel.mjs';
import { configureLogFormat, logError, patchLogging } from './log-patch.mjs';
import { loadHandler } from './handler-loader.mjs';
import { CallbackHandlerDeprecated, toRapidResponse, UnhandledPromiseRejection } from './errors.mjs';
import { allowRuntimeModules, registerRuntimeResolve } from './runtime-modules.mjs';
import { createInvoker } from './invoker.mjs';
import { installAwsLambdaGlobal, streamingOf } from './response-stream.mjs';
import { createMemoryMeter } from './memory.mjs';
import { openOutput } from './output.mjs';

// Before anything else: the loader thread starts now, not in a cold start (runtime-modules.mjs).
registerRuntimeResolve();
const channel = openChannel();
const output = openOutput(channel);
const flush = patchLogging((lines) => output.lines(lines));
/** Ends INIT's or an invocation's output; returns the mark the host reads before framing the log. */
const endOutput = (kind) => {
  flush();
  return output.end(kind);
};
const meter = createMemoryMeter(channel.kind);

/** @type {'waiting' | 'init' | 'ready' | 'failed' | 'shutdown'} */
let phase = 'waiting';
/** @type {ReturnType<typeof createInvoker> | undefined} */
let invoker;

function fatal(err) {
  if (phase === 'failed') return;
  if (phase === 'init') {
    // An uncaught error while INIT is still running (e.g. from a timer started by top-level code).
    failInit(err);
    return;
  }
  phase = 'failed';
  flush();
  if (!invoker?.failFatal(err)) channel.send({ type: 'fatal', error: toRapidResponse(err) });
  // Stay alive until the host kills us: exiting now could lose the message above (IPC is async).
  invoker?.abandon();
  channel.ref();
}

// As in the RIC, both are logged and end the environment (Lambda's runtime exits with 129 / 128).
process.on('uncaughtException', (err) => {
  logError('Uncaught Exception', err);
  fatal(err);
});
process.on('unhandledRejection', (reason, promise) => {
  const err = new UnhandledPromiseRejection(reason, promise);
  logError('Unhandled Promise Rejection', err);
  fatal(err);
});
process.on('beforeExit', () => {
  if (phase === 'ready') invoker?.onEventLoopEmpty();
});

function failInit(err) {
  phase = 'failed';
  const logMark = endOutput('init');
  channel.send({ type: 'init-done', ok: false, error: toRapidResponse(err), memoryBytes: meter.peakBytes(), ...(logMark ? { logMark } : {}) });
}

const CALLBACK_WARNING =
  'AWS Lambda plans to remove support for callback-based function handlers starting with Node.js 24. You will need to update this function to use an async handler to use Node.js 24 or later. For more information and to provide feedback on this change, see https://github.com/aws/aws-lambda-nodejs-runtime-interface-client/issues/137. To disable this warning, set the AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING environment variable.';

async function init(msg) {
  if (phase !== 'waiting') return;
  phase = 'init';
  const limits = { memoryLimitBytes: Number(msg.memoryLimitBytes), memoryPollMs: Number(msg.memoryPollMs) };
  if (msg.maxLogBytes !== undefined) output.setBound(Number(msg.maxLogBytes));
  let handler;
  let streaming;
  try {
    // A spare runtime (started before anyone needed it) becomes this environment here, before any
    // user code runs: the environment's variables replace its own, and its cwd is the code.
    if (msg.bind) bindEnvironment(msg.bind);
    configureLogFormat();
    // The AWS SDK v3 (and layers' /opt/nodejs) resolve without bundling, as Lambda's NODE_PATH makes them.
    allowRuntimeModules();
    // `awslambda.streamifyResponse` and `awslambda.HttpResponseStream`, as the RIC sets them.
    installAwsLambdaGlobal();
    handler = await loadHandler(process.env['LAMBDA_TASK_ROOT'] ?? process.cwd(), process.env['_HANDLER'] ?? '');
    streaming = streamingOf(handler);
    if (nodeMajorOfRuntime() >= 24 && !streaming && isCallbackStyle(handler)) throw new CallbackHandlerDeprecated();
  } catch (err) {
    if (phase !== 'init') return;
    // RIC: the failed load rejects the runtime's top-level await, which Node reports as an
    // uncaught exception, hence "Uncaught Exception" with requestId `undefined`.
    logError('Uncaught Exception', err);
    failInit(err);
    return;
  }
  if (phase !== 'init') return;
  // RIC WarningForCallbackHandlers.js (Node.js 18/20/22 runtimes; 24 refuses them above).
  if (process.env['AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING'] === undefined && !streaming && isCallbackStyle(handler)) {
    console.warn(CALLBACK_WARNING);
  }
  invoker = createInvoker({ handler, channel, endOutput, meter, limits, ...(streaming ? { streaming } : {}) });
  phase = 'ready';
  const logMark = endOutput('init');
  channel.send({ type: 'init-done', ok: true, memoryBytes: meter.peakBytes(), ...(logMark ? { logMark } : {}) });
}

/** A handler taking a callback: three parameters and not an async function. */
function isCallbackStyle(handler) {
  return handler.length >= 3 && handler.constructor?.name !== 'AsyncFunction';
}

/** 24 for `AWS_Lambda_nodejs24.x`; 0 when the variable says nothing. */
function nodeMajorOfRuntime() {
  const m = /^AWS_Lambda_nodejs(\d+)\.x$/.exec(process.env['AWS_EXECUTION_ENV'] ?? '');
  return m ? Number(m[1]) : 0;
}

function bindEnvironment(bind) {
  for (const name of Object.keys(process.env)) delete process.env[name];
  Object.assign(process.env, bind.env);
  process.chdir(bind.cwd);
}

function shutdown() {
  if (phase === 'shutdown') return;
  phase = 'shutdown';
  invoker?.abandon();
  // Lambda sends SIGTERM to the runtime at shutdown (with a grace period) when anybody listens for it.
  if (process.listenerCount('SIGTERM') > 0) process.emit('SIGTERM', 'SIGTERM');
  // Let the process end once user code has nothing left to do; the host kills after its grace period.
  channel.unref();
}

channel.onMessage((msg) => {
  switch (msg?.type) {
    case 'init':
      void init(msg);
      break;
    case 'invoke':
      if (phase === 'ready') invoker?.invoke(msg);
      break;
    case 'shutdown':
      shutdown();
      break;
    default:
      break;
  }
});
channel.send({ type: 'hello' });
