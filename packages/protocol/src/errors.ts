import { WireErrorCode, isWireErrorCode } from './error-codes.js';
import type { WireErrorData } from './messages.js';

/**
 * An error that crossed (or will cross) the coordinator <-> zone-node link. Tell kinds apart by
 * `code`, never by `instanceof`.
 */
export class WireError extends Error {
  override readonly name = 'WireError';
  readonly code: WireErrorCode;

  constructor(code: WireErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Converts any thrown value into wire data (the one converter going out). */
export function toWireErrorData(err: unknown, fallback: WireErrorCode = WireErrorCode.Internal): WireErrorData {
  if (err instanceof WireError) return { code: err.code, message: err.message };
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return { code: typeof code === 'string' && isWireErrorCode(code) ? code : fallback, message };
}

/** Converts wire data back into an error (the one converter coming in). */
export function fromWireErrorData(data: WireErrorData): WireError {
  const code = isWireErrorCode(data.code) ? data.code : WireErrorCode.Internal;
  return new WireError(code, data.message);
}
