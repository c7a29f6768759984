import { fileURLToPath } from 'node:url';

/** Path of the `zonesim` entry script (this package's bin), for tests and tools that spawn it. */
export const ZONESIM_BIN = fileURLToPath(new URL('../bin/zonesim.js', import.meta.url));
