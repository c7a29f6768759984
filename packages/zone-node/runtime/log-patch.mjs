// Console and stdio capture in Lambda's text log format (RIC src/LogPatch.js):
//   `<ISO-8601 timestamp>\t<requestId>\t<LEVEL>\t<util.format(message, ...params)>`
// During INIT there is no request yet and Lambda prints the requestId as `undefined`.
// Every line goes to `emit`, i.e. over the same ordered channel as the invocation result.
import { format } from 'node:util';
import { toFormatted, intoError } from './errors.mjs';

let currentRequestId;

/** Sets the request id that console lines carry (undefined outside an invocation, as in Lambda). */
export function setCurrentRequestId(id) {
  currentRequestId = id;
}

const LEVELS = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'FATAL' };

/**
 * Replaces console.trace/debug/info/log/warn/error (and adds console.fatal, as the RIC does) and
 * captures raw process.stdout / process.stderr writes line by line (raw writes have no prefix in
 * Lambda either). Returns `flush()`, which emits a pending partial raw line.
 * @param {(line: string) => void} emit
 */
export function patchLogging(emit) {
  for (const [method, level] of Object.entries(LEVELS)) {
    // The RIC's signature is `(msg, ...params)`, so `console.log()` prints the word `undefined`.
    console[method] = (msg, ...params) => {
      emit(`${new Date().toISOString()}\t${currentRequestId}\t${level}\t${format(msg, ...params)}`);
    };
  }
  console.log = console.info;

  const partial = { stdout: '', stderr: '' };
  const capture = (name) => {
    const stream = process[name];
    stream.write = (chunk, encoding, callback) => {
      if (typeof encoding === 'function') callback = encoding;
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const lines = (partial[name] + text).split('\n');
      partial[name] = lines.pop() ?? '';
      for (const line of lines) emit(line);
      if (typeof callback === 'function') queueMicrotask(() => callback());
      return true;
    };
  };
  capture('stdout');
  capture('stderr');

  return function flush() {
    for (const name of ['stdout', 'stderr']) {
      if (partial[name] !== '') {
        emit(partial[name]);
        partial[name] = '';
      }
    }
  };
}

/** RIC `structuredConsole.logError` in text mode: `console.error(label, toFormatted(err))`. */
export function logError(label, err) {
  console.error(label, toFormatted(intoError(err)));
}
