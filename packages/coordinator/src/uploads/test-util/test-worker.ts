/**
 * Test-only upload worker: jobs that sleep, echo, or kill their worker thread, for the pool's
 * queue-bound and crash tests. Answers in the real worker's outcome format.
 */
type TestJob = { type: 'sleep'; ms: number; value?: unknown } | { type: 'exit'; code: number } | { type: 'oom' };

export default async function testWorker(job: TestJob): Promise<unknown> {
  switch (job.type) {
    case 'sleep':
      await new Promise((r) => setTimeout(r, job.ms));
      return { ok: true, value: job.value ?? job.ms };
    case 'exit':
      // In a worker thread this ends the thread, not the process: a worker that dies mid-job.
      process.exit(job.code);
      break;
    case 'oom': {
      const hoard: unknown[] = [];
      for (;;) hoard.push(new Array(1_000_000).fill(hoard.length));
    }
  }
  return { ok: false, error: { kind: 'other', name: 'Error', message: 'unknown job' } };
}
