// One invocation at a time, with the semantics of Lambda's Node.js runtime client (RIC
// src/Runtime.js and src/CallbackContext.js):
// - the handler is always called as handler(event, context, callback); a returned promise settles
//   the invocation, otherwise callback / context.succeed / fail / done do; the first call wins;
// - callback(null, result) waits for the event loop to drain when
//   context.callbackWaitsForEmptyEventLoop is true (the default), as Lambda does;
// - if the loop drains and nothing answered: an async handler fails with Runtime.NodeJsExit, any
//   other handler succeeds with null.
// "Event loop drained" is detected with process 'beforeExit': while user code runs, the channel
// to the host is unref'd so that only user work keeps the loop alive.
import { logError, setCurrentRequestId } from './log-patch.mjs';
import { NodeJsExit, toRapidResponse } from './errors.mjs';
import { createResponseStream } from './response-stream.mjs';

const NOOP = () => {};

function isPromise(v) {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.then === 'function';
}

function parseJson(text) {
  return text === undefined ? undefined : JSON.parse(text);
}

/**
 * @param {{ handler: Function, channel: import('./channel.mjs').Channel, endOutput: (kind: 'invoke') => number | undefined,
 *   meter: ReturnType<import('./memory.mjs').createMemoryMeter>, limits: { memoryLimitBytes: number, memoryPollMs: number },
 *   streaming?: { highWaterMark?: number } }} deps  `streaming`: the handler went through `awslambda.streamifyResponse`
 */
export function createInvoker({ handler, channel, endOutput, meter, limits, streaming }) {
  const isAsync = handler?.constructor?.name === 'AsyncFunction';
  /** @type {{ requestId: string, done: boolean, streamed?: boolean } | null} */
  let current = null;
  let beforeExit = NOOP;

  function finish(message) {
    if (!current || current.done) return;
    current.done = true;
    beforeExit = NOOP;
    meter.unwatch();
    // Everything the invocation printed is written before the result is sent; the mark tells the
    // host how far to read the pipe (output.mjs).
    const logMark = endOutput('invoke');
    // A streaming invocation's end says so, whatever ended it (an uncaught error too): bytes may have gone out.
    const streamed = current.streamed ? { streamed: true } : {};
    channel.send({ ...message, ...streamed, requestId: current.requestId, memoryBytes: meter.peakBytes(), ...(logMark ? { logMark } : {}) });
    current = null;
    // Wait for the next event: the channel keeps the loop alive again.
    channel.ref();
  }

  function postResponse(result) {
    let payload;
    try {
      payload = JSON.stringify(result === undefined ? null : result);
    } catch {
      // RIC RAPIDClient._trySerializeResponse.
      throw new Error('Unable to stringify response body');
    }
    finish({ type: 'result', ok: true, payload });
  }

  function postError(err, fatal = false) {
    finish({ type: 'result', ok: false, error: toRapidResponse(err), fatal });
  }

  function buildCallbackContext() {
    let completeInvoked = false;
    let waitForEmptyEventLoop = true;
    const complete = (result) => {
      if (completeInvoked) {
        console.error('Invocation has already been reported as done. Cannot call complete more than once per invocation.');
        return;
      }
      completeInvoked = true;
      postResponse(result);
    };
    const failWith = (err) => {
      logError('Invoke Error', err);
      postError(err);
    };
    const callback = (err, result) => {
      beforeExit = NOOP;
      if (err !== undefined && err !== null) failWith(err);
      else if (!waitForEmptyEventLoop) complete(result);
      else beforeExit = () => setImmediate(() => complete(result));
    };
    const done = (err, result) => {
      beforeExit = NOOP;
      if (err !== undefined && err !== null) failWith(err);
      else complete(result);
    };
    // Only the first call of callback / succeed / fail / done counts. As in the RIC, the flag is set
    // after the call returns, so a response that fails to serialize can still be reported as an error.
    let finished = false;
    const once =
      (fn) =>
      (...args) => {
        if (finished) return;
        fn(...args);
        finished = true;
      };
    const context = {
      get callbackWaitsForEmptyEventLoop() {
        return waitForEmptyEventLoop;
      },
      set callbackWaitsForEmptyEventLoop(value) {
        waitForEmptyEventLoop = value;
      },
      succeed: once((result) => done(null, result)),
      fail: once((err) => (err === undefined || err === null ? done('handled') : done(err, null))),
      done: once(done),
    };
    const markCompleted = () => {
      completeInvoked = true;
    };
    return { callback: once(callback), context, markCompleted };
  }

  /** What `context` carries besides its methods (RIC InvokeContext.attachEnvironmentData). */
  function environmentData(msg) {
    const deadlineMs = msg.deadlineMs;
    return {
      functionVersion: process.env['AWS_LAMBDA_FUNCTION_VERSION'],
      functionName: process.env['AWS_LAMBDA_FUNCTION_NAME'],
      // A string, copied from the environment variable, as in Lambda.
      memoryLimitInMB: process.env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'],
      logGroupName: process.env['AWS_LAMBDA_LOG_GROUP_NAME'],
      logStreamName: process.env['AWS_LAMBDA_LOG_STREAM_NAME'],
      clientContext: parseJson(msg.clientContext),
      identity: undefined,
      invokedFunctionArn: msg.invokedFunctionArn,
      awsRequestId: msg.requestId,
      getRemainingTimeInMillis: () => deadlineMs - Date.now(),
    };
  }

  /**
   * A streaming handler (RIC Runtime.handleOnceStreaming): handler(event, responseStream, context)
   * must return a promise; the invocation ends when the stream has ended (every write handed to
   * the host as a `chunk`), or fails with the error the RIC would send as the stream's trailers.
   */
  function invokeStreaming(msg) {
    const requestId = msg.requestId;
    current.streamed = true;
    const response = createResponseStream({
      highWaterMark: streaming.highWaterMark,
      send: (data, contentType) => {
        if (current?.requestId !== requestId || current.done) return;
        // A tight copy: a pooled Buffer's whole slab would otherwise travel with it.
        channel.send({ type: 'chunk', requestId, data: Uint8Array.prototype.slice.call(data), ...(contentType === undefined ? {} : { contentType }) });
      },
    });
    const fail = (err) => {
      beforeExit = NOOP;
      logError('Invoke Error', err);
      response.inner.destroy();
      finish({ type: 'result', ok: false, error: toRapidResponse(err), fatal: false, streamed: true });
    };
    // The loop drained while the handler's promise was still pending and the stream open.
    beforeExit = () => fail(new NodeJsExit());
    let waitForEmptyEventLoop = true;
    const context = {
      get callbackWaitsForEmptyEventLoop() {
        return waitForEmptyEventLoop;
      },
      set callbackWaitsForEmptyEventLoop(value) {
        waitForEmptyEventLoop = value;
      },
      ...environmentData(msg),
    };
    let returned;
    try {
      returned = handler(JSON.parse(msg.payload), response.stream, context);
    } catch (err) {
      fail(err);
      return;
    }
    if (!isPromise(returned)) {
      fail('Streaming does not support non-async handlers.');
      return;
    }
    returned.then(
      async (value) => {
        if (value !== undefined) console.warn('Streaming handlers ignore return values.');
        const ended = await response.finished;
        if (current?.requestId !== requestId || current.done) return;
        if (!ended) fail('Response stream is not finished.');
        else {
          beforeExit = NOOP;
          finish({ type: 'result', ok: true, payload: '', streamed: true, contentType: response.contentType });
        }
      },
      (err) => {
        if (current?.requestId === requestId && !current.done) fail(err);
      },
    );
  }

  return {
    get busy() {
      return current !== null;
    },

    /** Runs one `invoke` message from the host. */
    invoke(msg) {
      if (current) return; // the host never double-books; ignore rather than corrupt state
      current = { requestId: msg.requestId, done: false };
      setCurrentRequestId(msg.requestId);
      // The invocation's X-Ray trace header, as Lambda's Node.js runtime sets it.
      if (typeof msg.traceId === 'string') process.env['_X_AMZN_TRACE_ID'] = msg.traceId;
      else delete process.env['_X_AMZN_TRACE_ID'];
      channel.unref();
      meter.watch(limits.memoryLimitBytes, limits.memoryPollMs, () => channel.send({ type: 'over-memory' }));
      if (streaming) {
        invokeStreaming(msg);
        return;
      }

      const { callback, context, markCompleted } = buildCallbackContext();
      const { succeed, fail } = context;
      // Node.js 24 removed the callback-era context methods (Lambda's Node.js 24 runtime).
      if (/^AWS_Lambda_nodejs(2[4-9]|[3-9]\d)\.x$/.test(process.env['AWS_EXECUTION_ENV'] ?? '')) {
        for (const name of ['succeed', 'fail', 'done', 'callbackWaitsForEmptyEventLoop']) delete context[name];
      }
      // No answer by the time the loop drains (RIC Runtime._setDefaultExitListener).
      beforeExit = () => {
        markCompleted();
        if (isAsync) {
          const err = new NodeJsExit();
          logError('Invoke Error', err);
          postError(err);
        } else {
          postResponse(null);
        }
      };
      try {
        Object.assign(context, environmentData(msg));
        const result = handler(JSON.parse(msg.payload), context, callback);
        if (isPromise(result)) result.then(succeed, fail).catch(fail);
      } catch (err) {
        callback(err);
      }
    },

    /** An uncaught exception or unhandled rejection ends the invocation; the host then discards us. */
    failFatal(err) {
      if (!current) return false;
      postError(err, true);
      return true;
    },

    /** process 'beforeExit': the event loop has drained. */
    onEventLoopEmpty() {
      const listener = beforeExit;
      beforeExit = NOOP;
      listener();
    },

    /** Stops answering (shutdown). */
    abandon() {
      beforeExit = NOOP;
      meter.unwatch();
    },
  };
}
