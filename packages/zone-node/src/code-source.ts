import type { FunctionSpec } from '@zonesim/protocol';
import type { CodeLease } from './environment/types.js';

/** What a code fetch may need from the node's session with the coordinator. */
export interface CodeSourceContext {
  /** The coordinator's code endpoint, from `welcome` ('' before the first welcome). */
  codeBaseUrl: string;
  /** Stops this caller's wait. */
  signal?: AbortSignal;
}

/** Where a function version's files are on this node. */
export interface PackageDirs {
  /** The unpacked package (`/var/task`). */
  codeDir: string;
  /** The function's layers unpacked in order into one directory (`/opt`); absent without layers. */
  optDir?: string;
}

/** A function's code made ready, and the pin that keeps it (handed to the environment that lives in it). */
export interface LeasedCode {
  dirs: PackageDirs;
  lease: CodeLease;
}

/** A lease on one pin of `spec`'s code: the first `release` gives the pin back, later ones do nothing. */
export function leaseOf(source: Pick<CodeSource, 'release'>, spec: FunctionSpec): CodeLease {
  let held = true;
  return {
    release: () => {
      if (!held) return;
      held = false;
      source.release(spec);
    },
  };
}

/**
 * Where a zone node's core gets deployment packages: a directory per code sha (and one per
 * combination of layers), pinned while an environment lives in it. A real node downloads and
 * unpacks into its code cache ({@link CacheCodeSource}); a simulation answers from memory.
 */
export interface CodeSource {
  /**
   * Makes the package and layers of `spec` available (fetching and unpacking them if needed) and
   * pins them; resolves with their directories. Each call takes one pin, released with {@link release}.
   */
  ensure(spec: FunctionSpec, context: CodeSourceContext): Promise<PackageDirs>;
  /** Releases one pin taken by `ensure(spec)`. Extra releases are ignored. */
  release(spec: FunctionSpec): void;
}
