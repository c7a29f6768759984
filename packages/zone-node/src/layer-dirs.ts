import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A zone node's `/opt` directories: for each combination of layers a function uses, the layers'
 * unpacked packages copied in order into one directory, so that a later layer's file replaces an
 * earlier one's, as Lambda extracts layers into /opt. Built once per combination (concurrent
 * callers share the build), atomically (built aside, renamed into place), pinned while environments
 * use it; at most `keepUnused` unpinned ones are kept for the next cold start, the oldest removed.
 */
export class LayerDirs {
  readonly #root: string;
  readonly #keepUnused: number;
  readonly #pins = new Map<string, number>();
  readonly #building = new Map<string, Promise<string>>();
  /** Unpinned directories, oldest first. */
  readonly #unused: string[] = [];

  constructor(root: string, options: { keepUnused?: number } = {}) {
    this.#root = root;
    this.#keepUnused = options.keepUnused ?? 8;
  }

  /** The key of a combination: its layers' digests, in order. */
  static keyOf(layerShas: readonly string[]): string {
    return createHash('sha256').update(layerShas.join('\n')).digest('hex').slice(0, 32);
  }

  /**
   * The merged directory of `layers` (each an unpacked layer directory, in order), pinned once.
   * `key` names the combination ({@link keyOf}).
   */
  async ensure(key: string, layers: readonly string[]): Promise<string> {
    const dir = join(this.#root, key);
    this.#pin(key);
    try {
      let build = this.#building.get(key);
      if (!build) {
        build = this.#build(dir, layers).finally(() => this.#building.delete(key));
        this.#building.set(key, build);
      }
      return await build;
    } catch (err) {
      this.release(key);
      throw err;
    }
  }

  /** Releases one pin of `key`. */
  release(key: string): void {
    const n = this.#pins.get(key);
    if (n === undefined) return;
    if (n > 1) {
      this.#pins.set(key, n - 1);
      return;
    }
    this.#pins.delete(key);
    this.#unused.push(key);
    while (this.#unused.length > this.#keepUnused) {
      const old = this.#unused.shift()!;
      if (!this.#pins.has(old)) void rm(join(this.#root, old), { recursive: true, force: true });
    }
  }

  #pin(key: string): void {
    this.#pins.set(key, (this.#pins.get(key) ?? 0) + 1);
    const i = this.#unused.indexOf(key);
    if (i >= 0) this.#unused.splice(i, 1);
  }

  async #build(dir: string, layers: readonly string[]): Promise<string> {
    if (await exists(dir)) return dir;
    await mkdir(this.#root, { recursive: true });
    const aside = join(this.#root, `.${randomBytes(6).toString('hex')}`);
    try {
      await mkdir(aside);
      // Links are copied as links (a layer's own relative links keep working inside /opt).
      for (const layer of layers) await cp(layer, aside, { recursive: true, force: true, verbatimSymlinks: true });
      await rename(aside, dir).catch(async (err: NodeJS.ErrnoException) => {
        // Another process of this node built it first.
        if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
        await rm(aside, { recursive: true, force: true });
      });
    } catch (err) {
      await rm(aside, { recursive: true, force: true });
      throw err;
    }
    return dir;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
