import t from 'tap';
import {
  computeBilledMs,
  describeRuntimeExit,
  formatEndLine,
  formatFunctionLogLine,
  formatInitReportLine,
  formatReportLine,
  formatStartLine,
  formatTimeoutLine,
  runtimeExitError,
  timedOutError,
} from './index.js';

t.test('START / END', async (t) => {
  t.equal(formatStartLine('c793869b', '$LATEST'), 'START RequestId: c793869b Version: $LATEST');
  t.equal(formatEndLine('c793869b'), 'END RequestId: c793869b');
});

t.test('REPORT lines as lambda-facts 3.4 shows them', async (t) => {
  t.equal(
    formatReportLine({ requestId: 'r1', durationMs: 128.834, billedMs: 296, memorySizeMb: 128, maxMemoryUsedMb: 74, initMs: 166.6249 }),
    'REPORT RequestId: r1\tDuration: 128.83 ms\tBilled Duration: 296 ms\tMemory Size: 128 MB\tMax Memory Used: 74 MB\tInit Duration: 166.62 ms\t',
  );
  t.equal(
    formatReportLine({ requestId: 'r2', durationMs: 3, billedMs: 3, memorySizeMb: 1024, maxMemoryUsedMb: 1024, status: 'error', errorType: 'Runtime.OutOfMemory' }),
    'REPORT RequestId: r2\tDuration: 3.00 ms\tBilled Duration: 3 ms\tMemory Size: 1024 MB\tMax Memory Used: 1024 MB\tStatus: error\tError Type: Runtime.OutOfMemory',
  );
  t.equal(
    formatReportLine({ requestId: 'r3', durationMs: 3000.4, billedMs: 3001, memorySizeMb: 128, maxMemoryUsedMb: 60, status: 'timeout' }),
    'REPORT RequestId: r3\tDuration: 3000.40 ms\tBilled Duration: 3001 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\tStatus: timeout',
  );
});

t.test('INIT_REPORT and timeout lines', async (t) => {
  t.equal(formatInitReportLine({ initMs: 10007.333, phase: 'init', status: 'timeout' }), 'INIT_REPORT Init Duration: 10007.33 ms\tPhase: init\tStatus: timeout');
  t.equal(
    formatInitReportLine({ initMs: 99.65, phase: 'invoke', status: 'error', errorType: 'Runtime.ExitError' }),
    'INIT_REPORT Init Duration: 99.65 ms\tPhase: invoke\tStatus: error\tError Type: Runtime.ExitError',
  );
  t.equal(formatTimeoutLine(Date.UTC(2026, 0, 2, 3, 4, 5, 6), 'r1', 45_050), '2026-01-02T03:04:05.006Z r1 Task timed out after 45.05 seconds');
  t.equal(formatFunctionLogLine(0, undefined, 'INFO', 'hi'), '1970-01-01T00:00:00.000Z\tundefined\tINFO\thi');
});

t.test('Billed Duration: ceil of duration (+ INIT on cold starts), at least 1 ms', async (t) => {
  t.equal(computeBilledMs(1049.63, 1293.83), 2344, 'the lambda-facts example');
  t.equal(computeBilledMs(12.34), 13);
  t.equal(computeBilledMs(12), 12);
  t.equal(computeBilledMs(0.04), 1, 'never below 1 ms');
  t.equal(computeBilledMs(0), 1);
  t.equal(computeBilledMs(0.1 + 0.2 + 11.7), 12, 'float noise does not add a millisecond');
  t.equal(computeBilledMs(5.001), 6);
});

t.test('platform errors use Lambda wording', async (t) => {
  t.same(timedOutError('id-1', 3000), { errorType: 'Sandbox.Timedout', errorMessage: 'RequestId: id-1 Error: Task timed out after 3.00 seconds' });
  t.equal(describeRuntimeExit({ code: null, signal: 'SIGKILL' }), 'Runtime exited with error: signal: killed');
  t.equal(describeRuntimeExit({ code: null, signal: 'SIGSEGV' }), 'Runtime exited with error: signal: segmentation fault');
  t.equal(describeRuntimeExit({ code: 1, signal: null }), 'Runtime exited with error: exit status 1');
  t.equal(describeRuntimeExit({ code: 0, signal: null }), 'Runtime exited without providing a reason');
  t.same(runtimeExitError('id-2', { code: null, signal: 'SIGKILL' }, true), {
    errorType: 'Runtime.OutOfMemory',
    errorMessage: 'RequestId: id-2 Error: Runtime exited with error: signal: killed',
  });
  t.equal(runtimeExitError('id-3', { code: 2, signal: null }, false).errorType, 'Runtime.ExitError');
});
