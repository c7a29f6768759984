/**
 * Lambda's platform log lines in text format (lambda-facts 3.4). Fields are TAB-separated; the
 * REPORT line ends with a TAB after its last metric, and `Status` / `Error Type` follow it only
 * when the platform itself ended the invocation (timeout, crash, out of memory).
 */

/** Two decimals, as Lambda prints durations (`128.83 ms`). */
function ms2(value: number): string {
  return value.toFixed(2);
}

/** Lambda prints timeouts in seconds with two decimals: `Task timed out after 3.00 seconds`. */
export function formatTimeoutSeconds(timeoutMs: number): string {
  return (timeoutMs / 1000).toFixed(2);
}

/**
 * Lambda's `Billed Duration`: the duration rounded up to 1 ms (since Dec 2020), plus the INIT
 * duration on cold starts (on-demand INIT is billed since Aug 2025), never below 1 ms
 * (init 1293.83 + duration 1049.63 => 2344, lambda-facts 3.4).
 */
export function computeBilledMs(durationMs: number, initMs?: number): number {
  const total = durationMs + (initMs ?? 0);
  // Rounded to microseconds first, so float noise (12.000000000000002) does not add a millisecond.
  return Math.max(1, Math.ceil(Number(total.toFixed(3))));
}

/** `START RequestId: <id> Version: <version>` */
export function formatStartLine(requestId: string, version: string): string {
  return `START RequestId: ${requestId} Version: ${version}`;
}

/** `END RequestId: <id>` */
export function formatEndLine(requestId: string): string {
  return `END RequestId: ${requestId}`;
}

/** The fields of a REPORT line. */
export interface ReportLineFields {
  requestId: string;
  durationMs: number;
  billedMs: number;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  /** Only on the first REPORT of an environment whose INIT succeeded. */
  initMs?: number;
  /**
   * With `initMs`, for managed runtimes under the Runtime API: the interpreter that actually ran
   * (`python:3.11.7`), which may differ from the runtime the function asked for (zonesim's addition).
   */
  runtimeVersion?: string;
  /** Set when the platform ended the invocation. */
  status?: 'timeout' | 'error';
  /** With `status: 'error'`, e.g. `Runtime.OutOfMemory`. */
  errorType?: string;
}

/**
 * `REPORT RequestId: <id>\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 74 MB\tInit Duration: 166.62 ms\t`
 * then `Status: timeout` or `Status: error\tError Type: <type>` when the platform ended it.
 */
export function formatReportLine(f: ReportLineFields): string {
  let line =
    `REPORT RequestId: ${f.requestId}\tDuration: ${ms2(f.durationMs)} ms\tBilled Duration: ${f.billedMs} ms\t` +
    `Memory Size: ${f.memorySizeMb} MB\tMax Memory Used: ${f.maxMemoryUsedMb} MB\t`;
  if (f.initMs !== undefined) line += `Init Duration: ${ms2(f.initMs)} ms\t`;
  if (f.initMs !== undefined && f.runtimeVersion !== undefined) line += `Runtime Version: ${f.runtimeVersion}\t`;
  if (f.status === 'timeout') line += 'Status: timeout';
  else if (f.status === 'error') line += `Status: error\tError Type: ${f.errorType ?? 'Runtime.Unknown'}`;
  return line;
}

/** `INIT_START Runtime Version: python:3.11.7`: the first line of a managed runtime's environment, naming what runs. */
export function formatInitStartLine(runtimeVersion: string): string {
  return `INIT_START Runtime Version: ${runtimeVersion}`;
}

/** The fields of an INIT_REPORT line (printed only when INIT failed or timed out). */
export interface InitReportLineFields {
  initMs: number;
  /** `init` for the INIT phase proper; `invoke` when INIT was retried inside the first invoke. */
  phase: 'init' | 'invoke';
  status: 'timeout' | 'error';
  errorType?: string;
}

/** `INIT_REPORT Init Duration: 10007.33 ms\tPhase: init\tStatus: timeout` (or `Status: error\tError Type: ...`). */
export function formatInitReportLine(f: InitReportLineFields): string {
  const head = `INIT_REPORT Init Duration: ${ms2(f.initMs)} ms\tPhase: ${f.phase}\t`;
  return f.status === 'timeout' ? `${head}Status: timeout` : `${head}Status: error\tError Type: ${f.errorType ?? 'Runtime.Unknown'}`;
}

/** `<ISO ts> <requestId> Task timed out after 3.00 seconds` (space-separated, as Lambda prints it). */
export function formatTimeoutLine(atEpochMs: number, requestId: string, timeoutMs: number): string {
  return `${new Date(atEpochMs).toISOString()} ${requestId} Task timed out after ${formatTimeoutSeconds(timeoutMs)} seconds`;
}

/** A function log line as the Node.js runtime writes it: `<ISO ts>\t<requestId>\t<LEVEL>\t<message>`. */
export function formatFunctionLogLine(atEpochMs: number, requestId: string | undefined, level: string, message: string): string {
  return `${new Date(atEpochMs).toISOString()}\t${requestId}\t${level}\t${message}`;
}
