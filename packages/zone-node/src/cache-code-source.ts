import { CodeCache } from '@zonesim/code';
import { MAX_IMAGE_PACKAGE_BYTES, MAX_IMAGE_UNPACKED_BYTES, type FunctionSpec } from '@zonesim/protocol';
import { fetchCode } from './code-fetcher.js';
import type { CodeSource, CodeSourceContext } from './code-source.js';

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

  constructor(settings: CacheCodeSourceSettings) {
    this.#settings = settings;
    this.cache = new CodeCache({ root: settings.root, maxBytes: settings.maxBytes });
  }

  /** Scans the cache directory (what an earlier run left); call it at start-up. */
  init(): Promise<void> {
    return this.cache.init();
  }

  ensure(spec: FunctionSpec, context: CodeSourceContext): Promise<string> {
    return this.cache.ensureUnpacked(
      spec.codeSha256Hex,
      (sha, { signal }) =>
        fetchCode({
          signal,
          baseUrl: context.codeBaseUrl,
          sha256Hex: sha,
          clusterToken: this.#settings.clusterToken,
          timeoutMs: this.#settings.fetchTimeoutMs,
          // An image's root is a larger package than a zip (docs/limits.md).
          maxBytes: spec.image ? MAX_IMAGE_PACKAGE_BYTES : MAX_PACKAGE_BYTES,
        }),
      {
        pin: true,
        ...(context.signal ? { signal: context.signal } : {}),
        ...(spec.image ? { limits: { maxZippedBytes: MAX_IMAGE_PACKAGE_BYTES, maxUnzippedBytes: MAX_IMAGE_UNPACKED_BYTES } } : {}),
      },
    );
  }

  unpin(sha256Hex: string): void {
    this.cache.unpin(sha256Hex);
  }
}
