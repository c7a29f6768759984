// Console and stdio capture in Lambda's text log format (RIC src/LogPatch.js):
//   `<ISO-8601 timestamp>\t<requestId>\t<LEVEL>\t<util.format(message, ...params)>`
// During INIT there is no request yet and Lambda prints the requestId as `undefined`.
// Every line goes to `emit` (output.mjs: a blocking pipe, or the parent port of a worker), one
// console record per line (a record with a stack trace stays one line), in the order written.
import { format } from 'node:util';
import { StringDecoder } from 'node:string_decoder';
import { toFormatted, intoError } from './errors.mjs';
import { MAX_LINE_CHARS } from './output.mjs';

let currentRequestId;

/** Sets the request id that console lines carry (undefined outside an invocation, as in Lambda). */
export function setCurrentRequestId(id) {
  currentRequestId = id;
}

const LEVELS = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'FATAL' };
const RANK = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, FATAL: 5 };

/** LoggingConfig JSON (AWS_LAMBDA_LOG_FORMAT, AWS_LAMBDA_LOG_LEVEL): read once the environment is bound. */
let json = false;
let minRank = 0;

/** Reads the log format and level from the environment's variables (a spare runtime knows them only at INIT). */
export function configureLogFormat() {
  json = process.env['AWS_LAMBDA_LOG_FORMAT'] === 'JSON';
  minRank = json ? (RANK[process.env['AWS_LAMBDA_LOG_LEVEL'] ?? 'INFO'] ?? RANK.INFO) : 0;
}

/**
 * One console record in Lambda's JSON format: `{timestamp, level, requestId, message}`, with
 * `errorType`, `errorMessage` and `stackTrace` when an Error was logged.
 */
function jsonRecord(level, msg, params) {
  const record = { timestamp: new Date().toISOString(), level, requestId: currentRequestId, message: format(msg, ...params) };
  const error = [msg, ...params].find((a) => a instanceof Error);
  if (error) Object.assign(record, { errorType: error.name, errorMessage: error.message, stackTrace: String(error.stack ?? '').split('\n') });
  try {
    return JSON.stringify(record);
  } catch {
    return JSON.stringify({ ...record, message: String(record.message) });
  }
}

/**
 * Replaces console.trace/debug/info/log/warn/error (and adds console.fatal, as the RIC does) and
 * captures raw process.stdout / process.stderr writes line by line (raw writes have no prefix in
 * Lambda either). Returns `flush()`, which emits a pending partial raw line. A partial line is
 * held here until its newline (or the invocation's end), at most MAX_LINE_CHARS of it.
 * @param {(lines: string[]) => void} emit  complete lines, in order
 */
export function patchLogging(emit) {
  for (const [method, level] of Object.entries(LEVELS)) {
    // The RIC's signature is `(msg, ...params)`, so `console.log()` prints the word `undefined`.
    console[method] = (msg, ...params) => {
      if (json) {
        if (RANK[level] >= minRank) emit([jsonRecord(level, msg, params)]);
        return;
      }
      emit([`${new Date().toISOString()}\t${currentRequestId}\t${level}\t${format(msg, ...params)}`]);
    };
  }
  console.log = console.info;

  const partial = { stdout: '', stderr: '' };
  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  const capture = (name) => {
    const stream = process[name];
    stream.write = (chunk, encoding, callback) => {
      if (typeof encoding === 'function') callback = encoding;
      // A multi-byte character split between two writes is decoded whole.
      const text = typeof chunk === 'string' ? chunk : decoders[name].write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      const lines = (partial[name] + text).split('\n');
      let rest = lines.pop() ?? '';
      // A line that never ends is written in pieces rather than held whole.
      while (rest.length > MAX_LINE_CHARS) {
        lines.push(rest.slice(0, MAX_LINE_CHARS));
        rest = rest.slice(MAX_LINE_CHARS);
      }
      partial[name] = rest;
      if (lines.length > 0) emit(lines);
      if (typeof callback === 'function') queueMicrotask(() => callback());
      return true;
    };
  };
  capture('stdout');
  capture('stderr');

  return function flush() {
    for (const name of ['stdout', 'stderr']) {
      if (partial[name] !== '') {
        emit([partial[name]]);
        partial[name] = '';
      }
    }
  };
}

/** RIC `structuredConsole.logError` in text mode: `console.error(label, toFormatted(err))`. */
export function logError(label, err) {
  console.error(label, toFormatted(intoError(err)));
}
