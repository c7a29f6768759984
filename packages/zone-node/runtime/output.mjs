// Where a handler's output goes (issue 15, finding 6: a handler writing 100 MB to stdout at 128 MB
// died with Runtime.OutOfMemory, because every line was queued on the IPC channel in its own heap).
//
// - process environments: fd 1, a pipe the zone node reads, written synchronously. When the pipe is
//   full the write blocks until the zone node has read, as a write to Lambda's stdout pipe does, so
//   nothing accumulates here. Console lines and stderr writes go to the same pipe, so the zone node
//   sees them in the order they were written. The stream's format (the TypeScript side is
//   src/environment/runtime-output.ts):
//     <text>\n                     a line, as written (no \n inside, does not contain \x1e)
//     \x1eE<escaped text>\n        a line with \n or \x1e inside (a console record with a stack
//                                  trace): `\` written as `\\` and \n as `\n`
//     \x1eM<seq> <init|invoke>\n   the end of INIT or of an invocation: everything before it belongs
//                                  to it. The `init-done` / `result` message then carries `logMark:
//                                  seq`, and the zone node waits (briefly) until it has read this far.
//   A mark is written only when something was written since the last one, so an invocation that
//   prints nothing costs nothing.
// - worker environments: a worker cannot block on the zone node's reads, so lines travel on the
//   ordered parent port ({type:'log'}), bounded per invocation here: past `maxLogBytes` (the zone
//   node's per-invocation bound) lines are counted, and only the last TAIL_BYTES of them are kept
//   and sent at the end of the invocation, after a {type:'log-dropped', count}.
import { writeSync } from 'node:fs';

/** Longest line written; longer ones are cut (a CloudWatch Logs event holds 256 KiB; MAX_LOG_LINE_CHARS). */
export const MAX_LINE_CHARS = 256 * 1024;
/** What a worker keeps of the lines past its bound: the last 4 KiB, as X-Amz-Log-Result shows. */
const TAIL_BYTES = 4 * 1024;
const RS = '\x1e';
const SLEEP = new Int32Array(new SharedArrayBuffer(4));

/**
 * @typedef {object} Output
 * @property {(lines: string[]) => void} lines   complete lines, in order
 * @property {(kind: 'init' | 'invoke') => number | undefined} end
 *   ends INIT or an invocation; returns the mark the host must read before it frames the log
 * @property {(maxLogBytes: number) => void} setBound  the per-invocation bound (worker)
 */

/**
 * @param {import('./channel.mjs').Channel} channel
 * @returns {Output}
 */
export function openOutput(channel) {
  return channel.kind === 'process' ? pipeOutput() : portOutput(channel);
}

/** Lines cut to MAX_LINE_CHARS. */
function* pieces(line) {
  if (line.length <= MAX_LINE_CHARS) {
    yield line;
    return;
  }
  for (let i = 0; i < line.length; i += MAX_LINE_CHARS) yield line.slice(i, i + MAX_LINE_CHARS);
}

/** @returns {Output} */
function pipeOutput() {
  // Node makes a pipe's handle non-blocking and then queues what the pipe cannot take in this heap
  // (the stream's writableLength grew to 100 MB). Blocking writes make the writer wait instead, as
  // on Lambda; fd 2 too, where V8 and Node write their own fatal reports.
  for (const stream of [process.stdout, process.stderr]) {
    try {
      stream._handle?.setBlocking?.(true);
    } catch {
      // Not a pipe (a file or a TTY): those writes block already.
    }
  }
  let dirty = false;
  let seq = 0;
  const write = (text) => {
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) {
      try {
        off += writeSync(1, buf, off, buf.length - off);
      } catch (err) {
        // A descriptor that stayed non-blocking: wait as a blocking write would.
        if (err?.code === 'EAGAIN') Atomics.wait(SLEEP, 0, 0, 1);
        // The zone node is gone; the runtime exits on the IPC disconnect.
        else if (err?.code === 'EPIPE' || err?.code === 'EBADF') return;
        else throw err;
      }
    }
  };
  return {
    lines(lines) {
      let batch = '';
      for (const line of lines) {
        for (const piece of pieces(line)) {
          batch += piece.includes('\n') || piece.includes(RS) ? `${RS}E${piece.replaceAll('\\', '\\\\').replaceAll('\n', '\\n')}\n` : `${piece}\n`;
          // One write per call of the user's, not per line; bounded, so a huge write streams.
          if (batch.length >= 64 * 1024) {
            write(batch);
            batch = '';
          }
        }
      }
      if (batch !== '') write(batch);
      if (lines.length > 0) dirty = true;
    },
    end(kind) {
      if (!dirty) return undefined;
      dirty = false;
      seq++;
      write(`${RS}M${seq} ${kind}\n`);
      return seq;
    },
    setBound() {},
  };
}

/**
 * @param {import('./channel.mjs').Channel} channel
 * @returns {Output}
 */
function portOutput(channel) {
  let bound = 1024 * 1024;
  let sent = 0;
  let dropped = 0;
  /** @type {string[]} */
  let tail = [];
  let tailChars = 0;
  return {
    lines(lines) {
      for (const line of lines) {
        for (const piece of pieces(line)) {
          if (dropped === 0 && sent + piece.length <= bound) {
            sent += piece.length;
            channel.send({ type: 'log', line: piece });
            continue;
          }
          // Past the bound: keep only the last TAIL_BYTES, counting what falls out.
          tail.push(piece);
          tailChars += piece.length;
          dropped++;
          while (tail.length > 1 && tailChars > TAIL_BYTES) {
            tailChars -= tail.shift().length;
          }
        }
      }
    },
    end() {
      if (dropped > 0) {
        channel.send({ type: 'log-dropped', count: dropped - tail.length });
        for (const line of tail) channel.send({ type: 'log', line: line.length > TAIL_BYTES ? line.slice(-TAIL_BYTES) : line });
      }
      sent = 0;
      dropped = 0;
      tail = [];
      tailChars = 0;
      return undefined;
    },
    setBound(maxLogBytes) {
      if (Number.isSafeInteger(maxLogBytes) && maxLogBytes > 0) bound = maxLogBytes;
    },
  };
}
