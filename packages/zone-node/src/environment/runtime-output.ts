import { StringDecoder } from 'node:string_decoder';
import { MAX_LOG_LINE_CHARS } from '@zonesim/protocol';

/**
 * Reading what runtimes write to their stdout and stderr pipes, in bounded memory whatever they
 * write (issue 15, finding 6): a line is delivered as soon as its newline arrives, a line that never
 * ends is cut every `maxLineChars`, and a multi-byte character split between two reads is decoded
 * whole. The runtime blocks on its pipe while this side has not read, so nothing piles up anywhere.
 */

/** What a line reader is fed. */
export interface LineReader {
  push(chunk: Buffer | string): void;
  /** The stream ended: a last line without a newline is delivered. */
  end(): void;
}

/** Which kind of runtime phase a mark ends (runtime/output.mjs). */
export type MarkKind = 'init' | 'invoke';

const RS = 0x1e;

/** Splits a byte stream into lines (raw stdout/stderr of any runtime), calling `onLine` per line. */
export function lineSplitter(onLine: (line: string) => void, maxLineChars = MAX_LOG_LINE_CHARS): LineReader {
  return splitLines(onLine, () => false, maxLineChars, false);
}

/**
 * Reads the stdout of zonesim's Node runtime in process isolation (runtime/output.mjs): plain lines,
 * escaped lines (console records with a stack trace stay one line) and marks, each at the start of
 * a line. A mark says the runtime finished writing INIT's or an invocation's output.
 */
export function runtimeOutputReader(onLine: (line: string) => void, onMark: (seq: number, kind: MarkKind) => void, maxLineChars = MAX_LOG_LINE_CHARS): LineReader {
  return splitLines(
    onLine,
    (line) => {
      if (line.charCodeAt(0) !== RS) return false;
      if (line[1] === 'E') {
        onLine(unescape(line.slice(2)));
        return true;
      }
      const mark = /^\x1eM(\d{1,15}) (init|invoke)$/.exec(line);
      if (!mark) return false;
      onMark(Number(mark[1]), mark[2] as MarkKind);
      return true;
    },
    maxLineChars,
    true,
  );
}

function unescape(text: string): string {
  return text.includes('\\') ? text.replace(/\\([\\n])/g, (_, c: string) => (c === 'n' ? '\n' : '\\')) : text;
}

/**
 * The shared splitter. A whole line of at most `max` characters goes to `frame` (which handles it
 * and returns true, or declines) and else to `onLine`; `escapes` says the stream has escaped lines. A longer line, or one that has not ended
 * within `max` characters, goes out in pieces of at most `max` as they come, so nothing waits for
 * a newline that may never arrive; a cut escaped line (`\x1eE`) is unescaped piece by piece, cut
 * between escapes. A piece is never read as a frame.
 */
function splitLines(onLine: (line: string) => void, frame: (line: string) => boolean, max: number, escapes: boolean): LineReader {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  // Set while the line being read was already cut: the rest of it comes in pieces too.
  let cut: { escaped: boolean } | undefined;
  const piece = (text: string): void => {
    if (text !== '') onLine(cut?.escaped ? unescape(text) : text);
  };
  /** Emits pieces of `text` (the start of a line being cut) while more than `max` is left, or all of it when `whole`. */
  const emitPieces = (text: string, whole: boolean): string => {
    if (!cut) {
      const escaped = escapes && text.charCodeAt(0) === RS && text[1] === 'E';
      cut = { escaped };
      if (escaped) text = text.slice(2);
    }
    while (text.length > max || (whole && text !== '')) {
      let n = Math.min(max, text.length);
      // Never between a backslash and what it escapes.
      if (cut.escaped && n < text.length) {
        let slashes = 0;
        while (slashes < n && text[n - 1 - slashes] === '\\') slashes++;
        if (slashes % 2 === 1) n--;
      }
      piece(text.slice(0, n));
      text = text.slice(n);
    }
    return text;
  };
  const complete = (line: string): void => {
    if (!cut && line.length <= max) {
      if (!frame(line)) onLine(line);
      return;
    }
    emitPieces(line, true);
    cut = undefined;
  };
  const feed = (text: string): void => {
    const all = partial + text;
    partial = '';
    let start = 0;
    for (let nl = all.indexOf('\n'); nl !== -1; nl = all.indexOf('\n', start)) {
      complete(all.slice(start, nl));
      start = nl + 1;
    }
    const rest = all.slice(start);
    partial = rest.length > max ? emitPieces(rest, false) : rest;
  };
  return {
    push(chunk) {
      feed(typeof chunk === 'string' ? chunk : decoder.write(chunk));
    },
    end() {
      feed(decoder.end());
      if (partial !== '' || cut) complete(partial);
      partial = '';
      cut = undefined;
    },
  };
}
