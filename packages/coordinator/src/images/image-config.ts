import type { ImageRunConfig } from '@zonesim/protocol';
import { invalidParameter } from '../errors.js';
import type { ImageConfigFields } from './image-manifest.js';

/**
 * `ImageConfig` of CreateFunction / UpdateFunctionConfiguration: overrides of the image's
 * `Entrypoint`, `Cmd` and `WorkingDir` (lambda-facts 2.1), and how they combine with the image.
 */

/** `ImageConfig` as the API takes it (each field optional). */
export interface ImageConfigOverrides {
  EntryPoint?: string[];
  Command?: string[];
  WorkingDirectory?: string;
}

/** What a function record keeps about its image. */
export interface ImageRecord {
  /** `ImageUri` as given. */
  uri: string;
  /** `sha256:<hex>` of the manifest (docker-archive: of the config). */
  digest: string;
  /** The image's own config. */
  config: ImageConfigFields;
  /** `ImageConfig`, when given. */
  overrides?: ImageConfigOverrides;
}

// Lambda's API model: EntryPoint and Command hold at most 1,500 strings, WorkingDirectory 1,000 chars.
const MAX_LIST = 1500;
const MAX_WORKING_DIRECTORY = 1000;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function list(field: string, v: unknown): string[] {
  if (!Array.isArray(v) || v.length > MAX_LIST || v.some((x) => typeof x !== 'string' || x.length > 4096)) {
    throw invalidParameter(`ImageConfig.${field} must be a list of at most ${MAX_LIST} strings.`);
  }
  return v as string[];
}

/** Validates `ImageConfig`; undefined when absent. */
export function parseImageConfig(raw: unknown): ImageConfigOverrides | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) throw invalidParameter('ImageConfig must be an object with EntryPoint, Command and WorkingDirectory.');
  const out: ImageConfigOverrides = {};
  for (const key of Object.keys(raw)) {
    if (key !== 'EntryPoint' && key !== 'Command' && key !== 'WorkingDirectory') throw invalidParameter(`ImageConfig has an unknown field ${key}.`);
  }
  if (raw['EntryPoint'] !== undefined) out.EntryPoint = list('EntryPoint', raw['EntryPoint']);
  if (raw['Command'] !== undefined) out.Command = list('Command', raw['Command']);
  const wd = raw['WorkingDirectory'];
  if (wd !== undefined) {
    if (typeof wd !== 'string' || wd.length > MAX_WORKING_DIRECTORY) throw invalidParameter(`ImageConfig.WorkingDirectory must be a string of at most ${MAX_WORKING_DIRECTORY} characters.`);
    out.WorkingDirectory = wd;
  }
  return out;
}

/** The image's config with `ImageConfig` applied, as zone nodes run it. */
export function imageRunConfig(image: ImageRecord): ImageRunConfig {
  const o = image.overrides ?? {};
  return {
    entrypoint: o.EntryPoint ?? image.config.entrypoint,
    command: o.Command ?? image.config.cmd,
    workingDirectory: o.WorkingDirectory ?? image.config.workingDir,
    environment: image.config.env,
  };
}

/** `ImageConfigResponse` of FunctionConfiguration (present when `ImageConfig` was given). */
export function imageConfigResponse(image: ImageRecord): Record<string, unknown> | undefined {
  if (!image.overrides) return undefined;
  return { ImageConfig: { ...image.overrides } };
}
