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
