import type { FunctionSpec } from '@zonesim/protocol';

/** What a code fetch may need from the node's session with the coordinator. */
export interface CodeSourceContext {
  /** The coordinator's code endpoint, from `welcome` ('' before the first welcome). */
  codeBaseUrl: string;
  /** Stops this caller's wait. */
  signal?: AbortSignal;
}

/**
 * Where a zone node's core gets deployment packages: a directory per code sha, pinned while an
 * environment lives in it. A real node downloads and unpacks into its code cache
 * ({@link CacheCodeSource}); a simulation answers from memory.
 */
export interface CodeSource {
  /**
   * Makes the package of `spec` available (fetching and unpacking it if needed) and pins it;
   * resolves with its directory. Each call takes one pin, released with {@link unpin}.
   */
  ensure(spec: FunctionSpec, context: CodeSourceContext): Promise<string>;
  /** Releases one pin of the package with this sha. Extra unpins are ignored. */
  unpin(sha256Hex: string): void;
}
