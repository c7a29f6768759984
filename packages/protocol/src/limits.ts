/** Size limits of the wire. Both ends set `maxPayload` from these; see docs/limits.md. */

/** Lambda's synchronous request and response limit: 6 MiB. */
export const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;

/**
 * Lambda's response check is 6 MiB + 100 bytes (the runtime emulator's `MaxPayloadSize`); a larger
 * response becomes `Function.ResponseSizeTooLarge`.
 */
export const MAX_SYNC_RESPONSE_BYTES = MAX_SYNC_PAYLOAD_BYTES + 100;

/**
 * Largest streamed response (InvokeWithResponseStream, `RESPONSE_STREAM` function URLs) by
 * default: Lambda's soft limit when response streaming launched, 20 MiB (raised to 200 MB in
 * 2025; the coordinator option `streamResponseLimitBytes` sets it).
 */
export const DEFAULT_STREAM_RESPONSE_LIMIT_BYTES = 20 * 1024 * 1024;

/** Lambda returns at most the last 4 KB of the log with `X-Amz-Log-Type: Tail`. */
export const MAX_LOG_TAIL_BYTES = 4 * 1024;

/**
 * Longest log line, in characters (a CloudWatch Logs event holds 256 KiB): zone nodes cut longer
 * output into several lines, and a `log-events` frame with a longer one is invalid.
 */
export const MAX_LOG_LINE_CHARS = 256 * 1024;

/**
 * Largest frame either end accepts (ws `maxPayload`). It must hold the largest payload plus the
 * function spec, log tail and envelope; anything bigger closes the link with 1009.
 * @default 8 MiB
 */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

/**
 * zonesim's cap on a container image's unpacked root (Lambda allows 10 GB): the root travels to
 * zone nodes as one zip that a node holds in memory while it unpacks it. See docs/limits.md.
 */
export const MAX_IMAGE_UNPACKED_BYTES = 512 * 1024 * 1024;

/** Largest zip of an image root a zone node downloads (the root's bytes plus zip overhead). */
export const MAX_IMAGE_PACKAGE_BYTES = MAX_IMAGE_UNPACKED_BYTES + 64 * 1024 * 1024;
