import { CodeCache } from '@zonesim/code';
import { MAX_IMAGE_PACKAGE_BYTES, MAX_IMAGE_UNPACKED_BYTES, type FunctionSpec } from '@zonesim/protocol';
import { join } from 'node:path';
import { fetchCode } from './code-fetcher.js';
import type { CodeSource, CodeSourceContext, PackageDirs } from './code-source.js';
import { LayerDirs } from './layer-dirs.js';

/** Lambda's 50 MB zipped limit bounds what a node will download. */
export const MAX_PACKAGE_BYTES = 50 * 1024 * 1024;

/** Settings of {@link CacheCodeSource}. */
export interface CacheCodeSourceSettings {
  /** Directory of the code cache. */
  root: string;
  /** Disk budget of the unpacked packages. */
  maxBytes: number;
  /** Presented to the coordinator's code endpoint. */
  clusterToken: string;
  /** Time allowed to download one package. */
  fetchTimeoutMs: number;
}

/**
 * A real zone node's packages: downloaded over HTTP from the coordinator's code endpoint
 * ({@link fetchCode}) and unpacked into a {@link CodeCache} on disk, where a pinned directory stays
 * until its environments are gone.
 */
export class CacheCodeSource implements CodeSource {
  readonly cache: CodeCache;
  readonly #settings: CacheCodeSourceSettings;
  readonly #layerDirs: LayerDirs;

  constructor(settings: CacheCodeSourceSettings) {
    this.#settings = settings;
    this.cache = new CodeCache({ root: settings.root, maxBytes: settings.maxBytes });
    this.#layerDirs = new LayerDirs(join(settings.root, 'opt'));
  }

  /** Scans the cache directory (what an earlier run left); call it at start-up. */
  init(): Promise<void> {
    return this.cache.init();
  }

  /**
   * The package, and with layers their merged `/opt`: each layer is fetched and unpacked like a
   * package (and unpinned once copied into the merged directory, which stays pinned instead).
   */
  async ensure(spec: FunctionSpec, context: CodeSourceContext): Promise<PackageDirs> {
    const codeDir = await this.#unpacked(spec.codeSha256Hex, spec.image !== undefined, context);
    const layers = spec.layers ?? [];
    if (layers.length === 0) return { codeDir };
    try {
      const dirs: string[] = [];
      try {
        for (const layer of layers) dirs.push(await this.#unpacked(layer.sha256Hex, false, context));
        const optDir = await this.#layerDirs.ensure(LayerDirs.keyOf(layers.map((l) => l.sha256Hex)), dirs);
        return { codeDir, optDir };
      } finally {
        for (const layer of layers.slice(0, dirs.length)) this.cache.unpin(layer.sha256Hex);
      }
    } catch (err) {
      this.cache.unpin(spec.codeSha256Hex);
      throw err;
    }
  }

  release(spec: FunctionSpec): void {
    this.cache.unpin(spec.codeSha256Hex);
    if (spec.layers && spec.layers.length > 0) this.#layerDirs.release(LayerDirs.keyOf(spec.layers.map((l) => l.sha256Hex)));
  }

  #unpacked(sha: string, image: boolean, context: CodeSourceContext): Promise<string> {
    return this.cache.ensureUnpacked(
      sha,
      (digest, { signal }) =>
        fetchCode({
          signal,
          baseUrl: context.codeBaseUrl,
          sha256Hex: digest,
          clusterToken: this.#settings.clusterToken,
          timeoutMs: this.#settings.fetchTimeoutMs,
          // An image's root is a larger package than a zip (docs/limits.md).
          maxBytes: image ? MAX_IMAGE_PACKAGE_BYTES : MAX_PACKAGE_BYTES,
        }),
      {
        pin: true,
        ...(context.signal ? { signal: context.signal } : {}),
        ...(image ? { limits: { maxZippedBytes: MAX_IMAGE_PACKAGE_BYTES, maxUnzippedBytes: MAX_IMAGE_UNPACKED_BYTES } } : {}),
      },
    );
  }

}
