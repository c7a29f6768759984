/** Codes of the errors of sweeps and studies. */
export type ResearchErrorCode =
  | 'SWEEP_AXIS'
  | 'SWEEP_SEEDS'
  | 'SWEEP_SHARD'
  | 'SWEEP_TOO_LARGE'
  | 'SWEEP_JOBS'
  | 'SWEEP_OUT_EXISTS'
  | 'SWEEP_SCENARIO'
  | 'MERGE_INPUT'
  | 'MERGE_MISMATCH'
  | 'MERGE_INCOMPLETE';

/** A sweep or merge that cannot go ahead, with what to change. */
export class ResearchError extends Error {
  override readonly name = 'ResearchError';
  constructor(
    readonly code: ResearchErrorCode,
    message: string,
  ) {
    super(message);
  }
}
