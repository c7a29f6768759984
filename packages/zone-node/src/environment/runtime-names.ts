/**
 * The managed runtimes a zone node runs under the Runtime API, by name only: the core (which
 * advertises them) must not import the modules that probe and start interpreters.
 */

/** Lambda's Java runtimes, all run on the machine's JDK (java-runtime.ts). */
export const JAVA_RUNTIMES: readonly string[] = ['java17', 'java21'];

/** Lambda's Python runtimes, all run on the machine's python3 (python-runtime.ts). */
export const PYTHON_RUNTIMES: readonly string[] = ['python3.9', 'python3.10', 'python3.11', 'python3.12', 'python3.13'];
