/**
 * `CodeCache`: a zone node's cache of unpacked deployment packages at `<root>/unpacked/<sha>/`.
 *
 * - One fetch and one extraction per digest, however many environments ask at once.
 * - What was fetched must hash to the digest asked for, or it is refused (`SHA256_MISMATCH`).
 * - The cache is bounded by `maxBytes` of unpacked content and evicts least-recently-used
 *   directories, never one that is pinned (in use by a live environment).
 * - Removal is rename-then-delete, so a crash never leaves a half-deleted `<sha>/` that would later
 *   be mistaken for a complete one; leftovers (`.`-prefixed) are swept at the next start.
 *
 * One cache per root directory and process: the in-memory index is the authority on what is pinned.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CodeStoreError, CodeStoreErrorCode } from './errors.js';
import { extractZip } from './extract-zip.js';
import type { ZipLimits } from './limits.js';
import { assertSha256Hex, isSha256Hex, sha256HexInSlices } from './sha256.js';
import { directorySize } from './directory-size.js';

/** Default bound of the unpacked cache: 1 GiB, room for four packages at Lambda's 250 MB limit. */
export const DEFAULT_CODE_CACHE_MAX_BYTES = 1024 * 1024 * 1024;

/** Options of {@link CodeCache}. */
export interface CodeCacheOptions {
  /** Directory of the cache; `unpacked/` is created inside it. */
  root: string;
  /**
   * Bound on the unpacked bytes kept (file contents, as counted by `extractZip`). Pinned directories
   * are never removed, so the cache can exceed this while they are in use.
   * @default 1073741824 ({@link DEFAULT_CODE_CACHE_MAX_BYTES})
   */
  maxBytes?: number;
  /**
   * Limits applied when extracting.
   * @default Lambda's quotas (see `resolveZipLimits`)
   */
  limits?: ZipLimits;
}

/** {@link CodeCacheOptions} with defaults filled in. */
export interface ResolvedCodeCacheOptions {
  readonly root: string;
  readonly maxBytes: number;
  readonly limits: ZipLimits;
}

/** Fills defaults and validates eagerly, naming the bad field. */
export function resolveCodeCacheOptions(options: CodeCacheOptions): ResolvedCodeCacheOptions {
  if (typeof options?.root !== 'string' || options.root === '') {
    throw new TypeError('CodeCacheOptions.root must be a non-empty directory path');
  }
  const maxBytes = options.maxBytes ?? DEFAULT_CODE_CACHE_MAX_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new RangeError(`CodeCacheOptions.maxBytes must be an integer >= 0, got ${String(maxBytes)}`);
  }
  return { root: resolve(options.root), maxBytes, limits: options.limits ?? {} };
}

/**
 * Fetches a package's zip bytes by digest (from the coordinator). The signal aborts when every
 * caller waiting for this digest has given up.
 */
export type FetchCode = (sha256Hex: string, options: { signal: AbortSignal }) => Promise<Uint8Array>;

/** Options of one {@link CodeCache.ensureUnpacked} call. */
export interface EnsureUnpackedOptions {
  /** Stops this caller's wait; the shared fetch stops only when all waiters have stopped. */
  signal?: AbortSignal;
  /**
   * Pin the directory before the promise resolves, so no eviction can remove it in between. Each
   * pin needs one {@link CodeCache.unpin}.
   * @default false
   */
  pin?: boolean;
  /**
   * Limits for extracting this package when this call is the one that fetches it (e.g. a container
   * image's root, larger than a zip's 250 MB).
   * @default the cache's `limits`
   */
  limits?: ZipLimits;
}

/** What the cache knows about one unpacked directory. */
export interface CachedCode {
  readonly sha256: string;
  readonly dir: string;
  /** Unpacked bytes counted against `maxBytes`. */
  readonly bytes: number;
  /** Live pins; the directory is never evicted while this is above zero. */
  readonly pins: number;
}

interface Slot {
  sha256: string;
  dir: string;
  bytes: number;
  pins: number;
}

interface Waiter {
  pin: boolean;
  resolve(dir: string): void;
  reject(err: unknown): void;
}

interface Flight {
  controller: AbortController;
  waiters: Set<Waiter>;
}

/** A bounded, deduplicating, pin-aware cache of unpacked deployment packages. */
export class CodeCache {
  /** The resolved options. */
  readonly options: ResolvedCodeCacheOptions;
  private readonly unpackedRoot: string;
  /** Map order is recency order: a hit deletes and re-inserts, so iteration starts at the LRU slot. */
  private readonly slots = new Map<string, Slot>();
  private readonly flights = new Map<string, Flight>();
  private readonly removals = new Map<string, Promise<void>>();
  private ready: Promise<void> | undefined;
  private bytes = 0;

  constructor(options: CodeCacheOptions) {
    this.options = resolveCodeCacheOptions(options);
    this.unpackedRoot = join(this.options.root, 'unpacked');
  }

  /** Total unpacked bytes currently kept. */
  get totalBytes(): number {
    return this.bytes;
  }

  /** The directory a digest unpacks to (whether or not it exists). */
  dirFor(sha: string): string {
    assertSha256Hex(sha);
    return join(this.unpackedRoot, sha);
  }

  /**
   * Prepares the cache directory: sweeps leftovers of interrupted extractions and removals, and
   * adopts complete `<sha>/` directories from a previous run (they were renamed into place whole).
   * Called by the first `ensureUnpacked`; call it directly to pay the cost at start-up.
   */
  init(): Promise<void> {
    this.ready ??= this.scan();
    return this.ready;
  }

  /**
   * Returns the directory holding the unpacked package `sha`, fetching and extracting it first if
   * needed. Concurrent calls for one digest share one fetch and one extraction.
   * @throws CodeStoreError `INVALID_SHA256`, `CODE_FETCH_FAILED` or `SHA256_MISMATCH`; CodeError when
   *   the fetched archive is unacceptable; the signal's reason when aborted.
   */
  async ensureUnpacked(sha: string, fetch: FetchCode, options: EnsureUnpackedOptions = {}): Promise<string> {
    assertSha256Hex(sha);
    options.signal?.throwIfAborted();
    await this.init();
    // The signal may have fired while init() ran; join() only hears aborts that come later.
    options.signal?.throwIfAborted();
    const slot = this.slots.get(sha);
    if (slot !== undefined) {
      this.touch(slot);
      if (options.pin) slot.pins++;
      return slot.dir;
    }
    return this.join(sha, fetch, options);
  }

  /**
   * Pins a cached directory so eviction skips it (one environment using it).
   * @throws CodeStoreError `NOT_CACHED` when `sha` is not unpacked here.
   */
  pin(sha: string): void {
    const slot = this.slots.get(sha);
    if (slot === undefined) {
      throw new CodeStoreError(CodeStoreErrorCode.NotCached, `Code ${sha} is not unpacked in this cache`, {
        sha256: sha,
      });
    }
    slot.pins++;
    this.touch(slot);
  }

  /** Releases one pin. Extra unpins are ignored. May evict if the cache is over its bound. */
  unpin(sha: string): void {
    const slot = this.slots.get(sha);
    if (slot === undefined || slot.pins === 0) return;
    slot.pins--;
    if (slot.pins === 0) this.evict();
  }

  /** A snapshot of what is cached, least recently used first. */
  list(): CachedCode[] {
    return [...this.slots.values()].map((slot) => ({ ...slot }));
  }

  /** Resolves when every removal started so far has finished (for orderly shutdown and tests). */
  async settled(): Promise<void> {
    while (this.removals.size > 0) await Promise.all(this.removals.values());
  }

  /** Joins (or starts) the flight for `sha` and waits for it, honouring this caller's signal. */
  private join(sha: string, fetch: FetchCode, options: EnsureUnpackedOptions): Promise<string> {
    let flight = this.flights.get(sha);
    // A flight whose waiters all gave up is winding down; a newcomer starts a fresh one.
    if (flight === undefined || flight.controller.signal.aborted) {
      const started: Flight = { controller: new AbortController(), waiters: new Set() };
      this.flights.set(sha, started);
      flight = started;
      this.fly(sha, fetch, started, options.limits ?? this.options.limits);
    }
    const current = flight;
    return new Promise<string>((resolvePromise, rejectPromise) => {
      const { signal } = options;
      const onAbort = (): void => {
        current.waiters.delete(waiter);
        // The last waiter leaving stops the fetch and extraction: nobody wants the result.
        if (current.waiters.size === 0) current.controller.abort(signal?.reason);
        rejectPromise(signal?.reason);
      };
      const waiter: Waiter = {
        pin: options.pin === true,
        resolve: (dir) => {
          signal?.removeEventListener('abort', onAbort);
          resolvePromise(dir);
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort);
          rejectPromise(err);
        },
      };
      current.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Runs one fetch + verify + extract and settles every waiter of the flight. */
  private fly(sha: string, fetch: FetchCode, flight: Flight, limits: ZipLimits): void {
    this.fetchAndExtract(sha, fetch, flight.controller.signal, limits).then(
      (bytes) => {
        if (this.flights.get(sha) === flight) this.flights.delete(sha);
        // An abandoned flight can finish after its successor; the directory is the same, count it once.
        let slot = this.slots.get(sha);
        if (slot === undefined) {
          slot = { sha256: sha, dir: this.dirFor(sha), bytes, pins: 0 };
          this.slots.set(sha, slot);
          this.bytes += bytes;
        }
        // Pins are taken in the same tick as the insert, before any eviction can look at the slot.
        for (const waiter of flight.waiters) if (waiter.pin) slot.pins++;
        for (const waiter of flight.waiters) waiter.resolve(slot.dir);
        this.evict(sha);
      },
      (err: unknown) => {
        if (this.flights.get(sha) === flight) this.flights.delete(sha);
        for (const waiter of flight.waiters) waiter.reject(err);
      },
    );
  }

  private async fetchAndExtract(sha: string, fetch: FetchCode, signal: AbortSignal, limits: ZipLimits): Promise<number> {
    // An eviction of this digest may still be renaming the old directory away.
    await this.removals.get(sha);
    let data: Uint8Array;
    try {
      data = await fetch(sha, { signal });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      const reason = err instanceof Error ? err.message : String(err);
      throw new CodeStoreError(
        CodeStoreErrorCode.FetchFailed,
        `Could not fetch code ${sha}: ${reason}`,
        { sha256: sha },
        { cause: err },
      );
    }
    signal.throwIfAborted();
    const actual = await sha256HexInSlices(data, signal);
    if (actual !== sha) {
      throw new CodeStoreError(
        CodeStoreErrorCode.Sha256Mismatch,
        `Fetched code hashes to ${actual}, not to the requested ${sha}`,
        { sha256: sha, actualSha256: actual },
      );
    }
    const result = await extractZip(data, this.dirFor(sha), limits, { signal });
    // `created: false` means a directory for this digest already existed (left by an eviction
    // whose removal failed): same digest, same content, so it is adopted.
    return result.unzippedSize;
  }

  private touch(slot: Slot): void {
    this.slots.delete(slot.sha256);
    this.slots.set(slot.sha256, slot);
  }

  /**
   * Removes least-recently-used unpinned directories until the cache fits. `keep` (the slot just
   * added) is spared, so a caller that did not pin still finds its directory when it resumes.
   */
  private evict(keep?: string): void {
    for (const slot of this.slots.values()) {
      if (this.bytes <= this.options.maxBytes) return;
      if (slot.pins > 0 || slot.sha256 === keep) continue;
      this.slots.delete(slot.sha256);
      this.bytes -= slot.bytes;
      const removal = this.removeDir(slot).finally(() => {
        if (this.removals.get(slot.sha256) === removal) this.removals.delete(slot.sha256);
      });
      this.removals.set(slot.sha256, removal);
    }
  }

  /** Renames the directory out of the way (atomic), then deletes it. Never rejects. */
  private async removeDir(slot: Slot): Promise<void> {
    const trash = join(this.unpackedRoot, `.trash-${slot.sha256}-${randomBytes(6).toString('hex')}`);
    try {
      await rename(slot.dir, trash);
    } catch {
      // Nothing to delete, or the rename failed: the content is still correct for its digest, so
      // leaving it is safe (a later ensureUnpacked adopts it) and the next start sweeps nothing wrong.
      return;
    }
    // A failed delete leaves a dot-named directory, which init() sweeps at the next start.
    await rm(trash, { recursive: true, force: true }).catch(() => undefined);
  }

  private async scan(): Promise<void> {
    await mkdir(this.unpackedRoot, { recursive: true });
    const found: Array<{ slot: Slot; mtimeMs: number }> = [];
    for (const name of await readdir(this.unpackedRoot)) {
      const path = join(this.unpackedRoot, name);
      if (name.startsWith('.')) {
        await rm(path, { recursive: true, force: true });
        continue;
      }
      if (!isSha256Hex(name)) continue;
      const info = await lstat(path);
      if (!info.isDirectory()) continue;
      const slot: Slot = { sha256: name, dir: path, bytes: await directorySize(path), pins: 0 };
      found.push({ slot, mtimeMs: info.mtimeMs });
    }
    found.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const { slot } of found) {
      this.slots.set(slot.sha256, slot);
      this.bytes += slot.bytes;
    }
    this.evict();
  }
}
