import { Type, type Static } from '@sinclair/typebox';

/** `Runtime` of the spec of a `PackageType: Image` function (Lambda shows no runtime for images). */
export const IMAGE_RUNTIME = 'zonesim.image';

/** How a zone node starts an image function: the image config (`ImageConfig` applied). */
export const ImageRunConfigSchema = Type.Object({
  /** `Entrypoint` (or `ImageConfig.EntryPoint`). */
  entrypoint: Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 256 }),
  /** `Cmd` (or `ImageConfig.Command`); its first element is `_HANDLER`, as for AWS base images. */
  command: Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 256 }),
  /** `WorkingDir` (or `ImageConfig.WorkingDirectory`), absolute inside the image root; `''` is the root. */
  workingDirectory: Type.String({ maxLength: 4096 }),
  /** The image's `Env`; the function's own variables override it. */
  environment: Type.Record(Type.String(), Type.String()),
});
/** See {@link ImageRunConfigSchema}. */
export type ImageRunConfig = Static<typeof ImageRunConfigSchema>;

/**
 * What a zone node needs to run one version of one function. The coordinator sends it with each
 * invocation; `specKey` names the exact configuration, so a zone node reuses a warm environment
 * only for the same key (Lambda starts fresh environments after any code or configuration change).
 */
export const FunctionSpecSchema = Type.Object({
  /** Stable identity of this exact version + configuration; environments are pooled by it. */
  specKey: Type.String({ minLength: 1, maxLength: 512 }),
  functionName: Type.String({ minLength: 1, maxLength: 140 }),
  /** `$LATEST` or a published version number. */
  version: Type.String({ minLength: 1, maxLength: 32 }),
  functionArn: Type.String({ minLength: 1, maxLength: 512 }),
  /** SHA-256 of the deployment package, lowercase hex; also its address in the code store. */
  codeSha256Hex: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  /** `file.export`, e.g. `index.handler`. */
  handler: Type.String({ minLength: 1, maxLength: 128 }),
  runtime: Type.String({ minLength: 1, maxLength: 64 }),
  memoryMb: Type.Integer({ minimum: 128, maximum: 10240 }),
  timeoutSec: Type.Integer({ minimum: 1, maximum: 900 }),
  architecture: Type.Union([Type.Literal('x86_64'), Type.Literal('arm64')]),
  /** The function's own environment variables (Lambda's reserved ones are added by the zone node). */
  environment: Type.Record(Type.String(), Type.String()),
  region: Type.String({ minLength: 1, maxLength: 64 }),
  /**
   * `EphemeralStorage.Size`, MB: the size of the environment's private `/tmp` where the zone node
   * sandboxes environments (issue 15). Optional, so older peers keep working. @default 512
   */
  ephemeralStorageMb: Type.Optional(Type.Integer({ minimum: 512, maximum: 10240 })),
  /**
   * Present for `PackageType: Image` functions only: how to start the image's entrypoint under the
   * Runtime API (the image config with `ImageConfig` applied). The package at `codeSha256Hex` is the
   * image's unpacked root filesystem. Optional, so older peers keep working.
   */
  image: Type.Optional(ImageRunConfigSchema),
  /**
   * `LoggingConfig` with `LogFormat: JSON`: the runtimes write Lambda's JSON records and filter by
   * level. Absent: Lambda's text format. Optional, so older peers keep working.
   */
  jsonLogs: Type.Optional(
    Type.Object({
      applicationLogLevel: Type.Union([Type.Literal('TRACE'), Type.Literal('DEBUG'), Type.Literal('INFO'), Type.Literal('WARN'), Type.Literal('ERROR'), Type.Literal('FATAL')]),
      systemLogLevel: Type.Union([Type.Literal('DEBUG'), Type.Literal('INFO'), Type.Literal('WARN')]),
    }),
  ),
  /** `TracingConfig: Active`: the trace header each invocation gets is sampled. */
  tracingActive: Type.Optional(Type.Boolean()),
  /**
   * The function's layers, in order: each a package in the code store (fetched like the function's
   * own), unpacked into the environment's `/opt`, later ones overwriting earlier ones.
   */
  layers: Type.Optional(
    Type.Array(Type.Object({ arn: Type.String({ maxLength: 256 }), sha256Hex: Type.String({ pattern: '^[0-9a-f]{64}$' }) }), { maxItems: 5 }),
  ),
});

/** See {@link FunctionSpecSchema}. */
export type FunctionSpec = Static<typeof FunctionSpecSchema>;
