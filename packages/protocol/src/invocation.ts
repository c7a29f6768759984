import { Type, type Static } from '@sinclair/typebox';

/**
 * A function error as the Node.js runtime reports it: Lambda's Node runtime uses `trace`, not
 * `stackTrace` (lambda-facts 1.3).
 */
export const FunctionErrorSchema = Type.Object({
  errorType: Type.String({ maxLength: 1024 }),
  errorMessage: Type.String({ maxLength: 256 * 1024 }),
  trace: Type.Optional(Type.Array(Type.String({ maxLength: 64 * 1024 }), { maxItems: 1000 })),
  /** Custom runtimes and images post `stackTrace` through the Runtime API (lambda-facts 1.3). */
  stackTrace: Type.Optional(Type.Array(Type.String({ maxLength: 64 * 1024 }), { maxItems: 1000 })),
  /** Python's runtime names the request in its error body. */
  requestId: Type.Optional(Type.String({ maxLength: 256 })),
  /** Java's runtime posts the exception's cause chain (`{errorMessage, errorType, stackTrace, cause}`), kept as posted (bounded). */
  cause: Type.Optional(Type.Unknown()),
});
/** See {@link FunctionErrorSchema}. */
export type FunctionError = Static<typeof FunctionErrorSchema>;

/** Where an invocation ran. */
export const PlacementSchema = Type.Object({
  zone: Type.String({ maxLength: 64 }),
  nodeId: Type.String({ maxLength: 128 }),
  environmentId: Type.String({ maxLength: 128 }),
  /** True when this invocation created the environment (ran INIT). */
  cold: Type.Boolean(),
  /** True when the environment is a provisioned-concurrency one (initialised ahead of time). */
  provisioned: Type.Optional(Type.Boolean()),
});
/** See {@link PlacementSchema}. */
export type Placement = Static<typeof PlacementSchema>;

/** Timings of one invocation as measured on the zone node; all durations in milliseconds. */
export const InvocationTimingsSchema = Type.Object({
  /** Epoch ms when the zone node received the invoke frame. */
  receivedAt: Type.Number(),
  /** Epoch ms when the handler was called. */
  startedAt: Type.Number(),
  /** Epoch ms when the handler's result (or error) was known. */
  endedAt: Type.Number(),
  /** INIT duration: present on cold starts only, as in Lambda's REPORT line. */
  initMs: Type.Optional(Type.Number({ minimum: 0 })),
  /** Handler duration (Lambda's `Duration`). */
  durationMs: Type.Number({ minimum: 0 }),
  /** Lambda's `Billed Duration`: handler duration plus INIT on cold starts (billed for on-demand functions since Aug 2025), rounded up to 1 ms. */
  billedMs: Type.Integer({ minimum: 0 }),
  memorySizeMb: Type.Integer({ minimum: 0 }),
  maxMemoryUsedMb: Type.Integer({ minimum: 0 }),
});
/** See {@link InvocationTimingsSchema}. */
export type InvocationTimings = Static<typeof InvocationTimingsSchema>;

/** How an invocation ended on the zone node. */
export const InvocationOutcome = {
  /** The handler returned a value. */
  Success: 'success',
  /** The handler, its module or its environment failed; `functionError` says how. */
  FunctionError: 'function-error',
} as const;
/** One of {@link InvocationOutcome}. */
export type InvocationOutcome = (typeof InvocationOutcome)[keyof typeof InvocationOutcome];
