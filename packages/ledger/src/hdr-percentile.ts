/**
 * The recorded count an HDR histogram's `getValueAtPercentile` walks to (hdr-histogram-js): the
 * percentile's share of the total, rounded up allowing for one ulp of floating-point error, at
 * least 1 and at most the total. Shared by the code that answers HDR's questions without its walk.
 */
export function countAtPercentile(percentile: number, total: number): number {
  const fp = (Math.min(percentile, 100) / 100) * total;
  return Math.min(total, Math.max(Math.ceil(fp - ulp(fp)), 1));
}

function ulp(x: number): number {
  return Math.pow(2, Math.floor(Math.log2(x)) - 52);
}
