// "Max Memory Used" as seen from inside the environment.
// - process: the kernel's peak resident set size of this process (`process.resourceUsage().maxRSS`,
//   in KiB), which is what Lambda reports for a whole sandbox (minus the platform's own processes).
// - worker: a thread has no RSS of its own, so we approximate with this isolate's V8 numbers:
//   committed heap + external memory (Buffers, ArrayBuffers) + V8's malloc'ed memory. This leaves
//   out the Node binary and shared libraries that every real environment carries (~40-60 MB), so
//   worker-mode numbers run lower than process-mode or Lambda's numbers for the same code.
import { getHeapStatistics } from 'node:v8';

function workerBytes() {
  const s = getHeapStatistics();
  return s.total_physical_size + s.external_memory + s.malloced_memory;
}

/**
 * @param {'process' | 'worker'} kind
 * @returns {{ peakBytes(): number, watch(limitBytes: number, pollMs: number, onOverLimit: () => void): void, unwatch(): void }}
 */
export function createMemoryMeter(kind) {
  if (kind === 'process') {
    return {
      peakBytes: () => process.resourceUsage().maxRSS * 1024,
      // The host samples /proc/<pid>/statm and kills us: an in-process check cannot run while user
      // code blocks the event loop.
      watch() {},
      unwatch() {},
    };
  }
  let peak = 0;
  let timer;
  const sample = () => {
    const now = workerBytes();
    if (now > peak) peak = now;
    return now;
  };
  return {
    peakBytes: () => Math.max(peak, sample(), getHeapStatistics().peak_malloced_memory),
    // V8's `maxOldGenerationSizeMb` caps the heap but not external memory (Buffers). This check
    // catches external-memory growth whenever the event loop turns; a synchronous allocation loop
    // of Buffers is not caught (documented limitation of worker isolation).
    watch(limitBytes, pollMs, onOverLimit) {
      clearInterval(timer);
      timer = setInterval(() => {
        if (sample() > limitBytes) onOverLimit();
      }, pollMs);
      timer.unref();
    },
    unwatch() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
