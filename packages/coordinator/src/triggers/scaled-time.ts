/**
 * The platform's scaled time, which schedules follow. With `timeScale` N, scaled time runs N times
 * faster than real time from an anchor (the coordinator's start): at real time `anchor` the scaled
 * time is `anchor` too, and a scaled minute lasts 60 s / N of real time. So at 60x,
 * `cron(0/5 * * * ? *)` fires at the scaled minutes :00, :05, :10 ... of the scaled clock, 5 real
 * seconds apart, the first one at the first scaled 5-minute boundary after the anchor.
 */
export class ScaledTime {
  readonly anchor: number;
  readonly scale: number;

  constructor(anchor: number, scale: number) {
    if (!Number.isFinite(scale) || scale < 1) throw new RangeError(`time scale must be >= 1, got ${scale}`);
    this.anchor = anchor;
    this.scale = scale;
  }

  /** The scaled time at real epoch ms `real`. */
  scaled(real: number): number {
    return this.anchor + (real - this.anchor) * this.scale;
  }

  /** The real epoch ms at which scaled time reaches `scaled`. */
  real(scaled: number): number {
    return this.anchor + (scaled - this.anchor) / this.scale;
  }
}
