import {
  MAX_SYNTHETIC_DEFINITION_BYTES,
  SYNTHETIC_DEFINITION_FILE,
  SYNTHETIC_RUNTIME,
  SyntheticDefinitionError,
  parseSyntheticDefinition,
} from '@zonesim/common';
import type { ZipInfo } from '@zonesim/code';
import { invalidParameter } from '../errors.js';

/**
 * The files `inspectZip` should hand back for a package of `runtime`: a synthetic function's
 * definition, so that a bad one is refused at CreateFunction / UpdateFunctionCode rather than at
 * the first cold start.
 */
export function filesToRead(runtime: string): string[] {
  return runtime === SYNTHETIC_RUNTIME ? [SYNTHETIC_DEFINITION_FILE] : [];
}

/**
 * Checks the package of a synthetic function (nothing to check for other runtimes).
 * @throws LambdaApiError `InvalidParameterValueException` naming the bad field of `synthetic.json`.
 */
export function checkSyntheticPackage(runtime: string, info: ZipInfo): void {
  if (runtime !== SYNTHETIC_RUNTIME) return;
  const bytes = info.contents?.get(SYNTHETIC_DEFINITION_FILE);
  if (!bytes) {
    throw invalidParameter(
      `A ${SYNTHETIC_RUNTIME} function needs a ${SYNTHETIC_DEFINITION_FILE} of at most ${MAX_SYNTHETIC_DEFINITION_BYTES} bytes at the root of its package.`,
    );
  }
  try {
    parseSyntheticDefinition(bytes.toString('utf8'));
  } catch (err) {
    if (err instanceof SyntheticDefinitionError) throw invalidParameter(err.message, err);
    throw err;
  }
}
