/**
 * `CodeStore`: the coordinator's content-addressed store of deployment packages, one file per
 * archive at `<root>/blobs/<sha256-hex>.zip`. Content addressing makes `put` idempotent and lets
 * functions (and versions) that share code share one blob. The store does not check archives;
 * callers run `inspectZip` first.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { assertSha256Hex, isSha256Hex, sha256Hex } from './sha256.js';

/** Options of {@link CodeStore}. */
export interface CodeStoreOptions {
  /** Directory of the store; `blobs/` is created inside it on first write. */
  root: string;
}

const BLOB_SUFFIX = '.zip';

/** A content-addressed store of zip archives on local disk. */
export class CodeStore {
  /** Absolute root directory. */
  readonly root: string;
  private readonly blobs: string;

  constructor(options: CodeStoreOptions) {
    if (typeof options?.root !== 'string' || options.root === '') {
      throw new TypeError('CodeStoreOptions.root must be a non-empty directory path');
    }
    this.root = resolve(options.root);
    this.blobs = join(this.root, 'blobs');
  }

  /**
   * The file path of a blob (whether or not it exists).
   * @throws CodeStoreError `INVALID_SHA256` unless `sha` is 64 lowercase hex characters.
   */
  path(sha: string): string {
    assertSha256Hex(sha);
    return join(this.blobs, `${sha}${BLOB_SUFFIX}`);
  }

  /**
   * Stores `data` and returns its hex SHA-256. Idempotent: storing the same bytes again is a no-op.
   * The blob is written to a temporary file and renamed into place, so a reader never sees a
   * partial blob, and concurrent puts of the same bytes are harmless (the rename replaces equal
   * bytes with equal bytes).
   */
  async put(data: Uint8Array): Promise<string> {
    const sha = sha256Hex(data);
    const target = this.path(sha);
    if (await this.has(sha)) return sha;
    await mkdir(this.blobs, { recursive: true });
    const tmp = join(this.blobs, `.tmp-${sha}-${randomBytes(6).toString('hex')}`);
    try {
      await writeFile(tmp, data, { flag: 'wx', mode: 0o644 });
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return sha;
  }

  /** The blob's bytes, or `undefined` when it is not stored. */
  async get(sha: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.path(sha));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** True when the blob is stored. */
  async has(sha: string): Promise<boolean> {
    try {
      return (await stat(this.path(sha))).isFile();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /** Removes the blob; true when it existed. */
  async delete(sha: string): Promise<boolean> {
    try {
      await unlink(this.path(sha));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /** The digests of all stored blobs (temporary files excluded), for garbage collection. */
  async list(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.blobs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names
      .filter((name) => name.endsWith(BLOB_SUFFIX))
      .map((name) => name.slice(0, -BLOB_SUFFIX.length))
      .filter((sha) => isSha256Hex(sha))
      .sort();
  }
}
