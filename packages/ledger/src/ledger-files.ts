import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Ledger files are `ledger-000001.ndjson`, `ledger-000002.ndjson`, ... in one directory. */
const FILE_PATTERN = /^ledger-(\d{6,})\.ndjson$/;

/** The file name of ledger file number `index` (1-based, zero-padded to 6 digits). */
export function ledgerFileName(index: number): string {
  return `ledger-${String(index).padStart(6, '0')}.ndjson`;
}

/** The number of a ledger file name, or undefined when the name is not one. */
export function ledgerFileIndex(name: string): number | undefined {
  const m = FILE_PATTERN.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** The ledger files of `dir` in write order (by number, not by name: 1000000 sorts after 999999). */
export async function listLedgerFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names
    .map((name) => ({ name, index: ledgerFileIndex(name) }))
    .filter((f): f is { name: string; index: number } => f.index !== undefined)
    .sort((a, b) => a.index - b.index)
    .map((f) => join(dir, f.name));
}

/** One run of lines that goes to one file; `rotateBefore`: close the current file and open the next first. */
export interface FileSegment {
  start: number;
  end: number;
  bytes: number;
  rotateBefore: boolean;
}

/**
 * How a batch of lines splits over files, given the bytes already in the current file: a file
 * rotates before a line would take it past `maxFileBytes`, unless the file is empty (a line larger
 * than the bound gets a file of its own). Shared by both writers, so they rotate alike.
 */
export function planSegments(lineBytes: readonly number[], fileBytes: number, maxFileBytes: number): FileSegment[] {
  const out: FileSegment[] = [];
  let inFile = fileBytes;
  let start = 0;
  let bytes = 0;
  let rotateBefore = false;
  for (let i = 0; i < lineBytes.length; i++) {
    const b = lineBytes[i]!;
    if (inFile + bytes > 0 && inFile + bytes + b > maxFileBytes) {
      if (i > start) out.push({ start, end: i, bytes, rotateBefore });
      rotateBefore = true;
      start = i;
      bytes = 0;
      inFile = 0;
    }
    bytes += b;
  }
  if (lineBytes.length > start) out.push({ start, end: lineBytes.length, bytes, rotateBefore });
  return out;
}
