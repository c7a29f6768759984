import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * Streaming readers of the Azure Functions 2019 trace files (Shahrad et al., ATC'20; format in
 * /work/shared/data/azure-functions-2019-sample/README.md). The full trace has tens of thousands
 * of rows per day, so a file is always read line by line, never whole: memory is one line plus
 * what the caller keeps.
 *
 * - invocations: `HashOwner,HashApp,HashFunction,Trigger,1..1440` (counts per minute of the day);
 * - durations: `HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_{0,1,25,50,75,99,100}` (ms);
 * - memory: `HashOwner,HashApp[,HashFunction],SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct{1,5,25,50,75,95,99,100}` (MB;
 *   the official file is per application, the vHive sample per function).
 */

/** The first four columns of an invocations file. */
export const INVOCATIONS_KEY_COLUMNS = ['HashOwner', 'HashApp', 'HashFunction', 'Trigger'] as const;

/** Lines of a text file, one at a time (handles `\r\n` and a missing last newline). */
export async function* readLines(file: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<string> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 64 * 1024, ...(options.signal && { signal: options.signal }) });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) yield line;
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** Reads only the header line of a CSV file. */
export async function readHeader(file: string): Promise<string[]> {
  for await (const line of readLines(file)) return line.split(',').map((c) => c.trim());
  return [];
}

/** Why an invocations header is not the Azure 2019 one, or undefined when it is. */
export function invocationsHeaderProblem(header: readonly string[]): string | undefined {
  const keysOk = INVOCATIONS_KEY_COLUMNS.every((c, i) => header[i] === c);
  const minutesOk = header.length > 4 && header.slice(4).every((c, i) => c === String(i + 1));
  if (keysOk && minutesOk) return undefined;
  return `is not an Azure Functions 2019 invocations file: expected the header HashOwner,HashApp,HashFunction,Trigger,1,2,...,1440, got ${header.slice(0, 6).join(',')}${header.length > 6 ? ',...' : ''}`;
}

/** One row of an invocations file. */
export interface InvocationRow {
  /** 0-based data row number (the header is not counted). */
  row: number;
  hashOwner: string;
  hashApp: string;
  hashFunction: string;
  trigger: string;
  /** All fields of the line; minute m (1-based) is `fields[3 + m]`. */
  fields: string[];
}

/** The count of minute `minute` (1-based) of a row; 0 when the column is missing or not a count. */
export function minuteCount(row: InvocationRow, minute: number): number {
  const n = Number(row.fields[3 + minute]);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/** Streams the data rows `skip .. skip + limit - 1` of an invocations file. */
export async function* invocationRows(file: string, rows: { skip: number; limit?: number }, options: { signal?: AbortSignal } = {}): AsyncGenerator<InvocationRow> {
  let header = true;
  let index = -1;
  const end = rows.limit === undefined ? Infinity : rows.skip + rows.limit;
  for await (const line of readLines(file, options)) {
    if (header) {
      header = false;
      continue;
    }
    if (line.trim() === '') continue;
    index++;
    if (index < rows.skip) continue;
    if (index >= end) return;
    const fields = line.split(',');
    yield { row: index, hashOwner: fields[0] ?? '', hashApp: fields[1] ?? '', hashFunction: fields[2] ?? '', trigger: fields[3] ?? '', fields };
  }
}

/** A row of a durations or memory file as column -> value. */
export type CsvRecord = Record<string, string>;

/**
 * Streams a CSV with a header and keeps only the rows `keep` selects, keyed by `key(row)`: for
 * looking up a few functions in a large durations or memory file.
 */
export async function selectRows(file: string, key: (row: CsvRecord) => string | undefined): Promise<{ header: string[]; rows: Map<string, CsvRecord> }> {
  let header: string[] | undefined;
  const rows = new Map<string, CsvRecord>();
  for await (const line of readLines(file)) {
    if (line.trim() === '') continue;
    const fields = line.split(',').map((f) => f.trim());
    if (!header) {
      header = fields;
      continue;
    }
    const record: CsvRecord = {};
    header.forEach((h, i) => (record[h] = fields[i] ?? ''));
    const k = key(record);
    if (k !== undefined && !rows.has(k)) rows.set(k, record);
  }
  return { header: header ?? [], rows };
}
