// Error types and error formatting of Lambda's Node.js runtime interface client (RIC), so that
// user-visible errors carry the same names, messages and shapes (lambda-facts 1.3; RIC src/Errors.js).
import { types } from 'node:util';

class RuntimeError extends Error {}

// `Error: <message>`. Node's own errors override toString() to add their code
// (`Error [ERR_MODULE_NOT_FOUND]: ...`), and only in some contexts; Lambda shows the plain form
// ("Runtime.ImportModuleError: Error: Cannot find package 'x' imported from /var/task/index.mjs").
function plainToString(err) {
  return err instanceof Error ? Error.prototype.toString.call(err) : String(err);
}

/** The handler module (or a module it imports) cannot be found. Message = `Error: <cause message>`. */
export class ImportModuleError extends RuntimeError {
  constructor(cause) {
    super(plainToString(cause));
  }
}
/** The handler module has a syntax error. Message = the cause's `toString()`; stack kept. */
export class UserCodeSyntaxError extends RuntimeError {
  constructor(cause) {
    super(plainToString(cause));
    if (typeof cause?.stack === 'string') this.stack = cause.stack;
  }
}
/** The handler string names an export that is missing or not a function. */
export class HandlerNotFound extends RuntimeError {}
/** The handler string is not `file.export`. */
export class MalformedHandlerName extends RuntimeError {}
/** A promise was rejected and nobody handled it (RIC: the message is `String(reason)`). */
export class UnhandledPromiseRejection extends RuntimeError {
  constructor(reason, promise) {
    super(reason);
    this.reason = reason;
    this.promise = promise;
  }
}
/** Node.js 24 and later refuse callback-style handlers at INIT (Lambda's own error). */
export class CallbackHandlerDeprecated extends RuntimeError {
  constructor() {
    super(
      'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.',
    );
  }
}
/** `awslambda.streamifyResponse` marked the handler with something other than response streaming. */
export class MalformedStreamingHandler extends RuntimeError {}
/** A response stream was used out of order (its content type set after the first write). */
export class InvalidStreamingOperation extends RuntimeError {}
/** An async handler's promise never settled and the event loop ran dry. */
export class NodeJsExit extends RuntimeError {
  constructor() {
    super(
      'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes',
    );
  }
}

// The RIC names its classes `Runtime.<ClassName>` on the prototype, before any instance exists, so
// that stacks read `Runtime.ImportModuleError: Error: Cannot find module ...`.
for (const cls of [
  ImportModuleError,
  UserCodeSyntaxError,
  HandlerNotFound,
  MalformedHandlerName,
  UnhandledPromiseRejection,
  NodeJsExit,
  CallbackHandlerDeprecated,
  MalformedStreamingHandler,
  InvalidStreamingOperation,
]) {
  cls.prototype.name = `Runtime.${cls.name}`;
}

function isErrorLike(v) {
  return (
    v !== null &&
    typeof v === 'object' &&
    typeof v.name === 'string' &&
    typeof v.message === 'string' &&
    typeof v.stack === 'string' &&
    v.name !== '' &&
    v.message !== '' &&
    v.stack !== ''
  );
}

/**
 * The body Lambda returns for a failed invocation (RIC `toRapidResponse`):
 * an Error becomes `{errorType: name, errorMessage: message, trace: stack lines}`, any other thrown
 * value `{errorType: typeof v, errorMessage: String(v), trace: []}`.
 * @returns {{errorType: string, errorMessage: string, trace?: string[]}}
 */
export function toRapidResponse(error) {
  try {
    if (types.isNativeError(error) || isErrorLike(error)) {
      return {
        errorType: String(error.name),
        errorMessage: String(error.message),
        trace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
      };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

/** RIC `intoError`: what the error log line shows for a non-Error thrown value. */
export function intoError(err) {
  return err instanceof Error ? err : new Error(err);
}

function withEnumerableProperties(_key, value) {
  if (value instanceof Error) {
    const ret = Object.assign({ errorType: value.name, errorMessage: value.message, code: value.code }, value);
    if (typeof value.stack === 'string') ret.stack = value.stack.split('\n');
    return ret;
  }
  return value;
}

/**
 * RIC `toFormatted`: the JSON part of an `Invoke Error` / `Uncaught Exception` log line. It starts
 * with a tab, which is why Lambda's lines read `Invoke Error \t{...}`.
 */
export function toFormatted(error) {
  try {
    return '\t' + JSON.stringify(error, withEnumerableProperties);
  } catch {
    return '\t' + JSON.stringify(toRapidResponse(error));
  }
}
