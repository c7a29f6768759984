import type { Distribution } from '@zonesim/common';

/**
 * Host failure models fitted to real systems by the Failure Trace Archive (Javadi, Kondo, Iosup,
 * Epema: "The Failure Trace Archive: Enabling the comparison of failure measurements and models of
 * distributed systems", JPDC 73(8), 2013): for each system, the time a host stays up between
 * failures and the time a failure lasts, fitted as exponential, Weibull and lognormal
 * distributions, in hours. The parameters are the ones OpenDC ships as its prefab failure models
 * (atlarge-research/opendc, opendc-compute-failure `prefab/*.kt`, read 2026-12-07), converted here
 * to milliseconds and to this format's lognormal (median e^mu, p99 e^(mu + 2.326 sigma)).
 */
export interface FailurePreset {
  /** The trace, as the FTA names it. */
  system: string;
  /** What the trace recorded. */
  about: string;
  fit: 'exponential' | 'weibull' | 'lognormal';
  /** Time between the end of a failure and the next (ms). */
  between: Distribution;
  /** How long a failure lasts (ms). */
  repair: Distribution;
}

const HOUR = 3_600_000;
const Z99 = 2.3263478740408408;

/** [exponential means], [Weibull shape, scale], [lognormal mu, sigma]: up time, then down time, in hours. */
type Fits = { exp: [number, number]; wbl: [[number, number], [number, number]]; logn: [[number, number], [number, number]] };

const SYSTEMS: Record<string, { system: string; about: string; fits: Fits }> = {
  g5k06: { system: 'Grid5000 (2006)', about: 'an experimental grid of clusters in France', fits: { exp: [32.41, 7.41], wbl: [[0.48, 14.37], [0.35, 0.47]], logn: [[1.51, 2.42], [-2.0, 2.2]] } },
  lanl05: { system: 'LANL (2005)', about: 'high-performance computing clusters at Los Alamos', fits: { exp: [1779.99, 5.92], wbl: [[0.48, 816.6], [0.58, 2.18]], logn: [[5.56, 2.39], [0.05, 1.42]] } },
  ldns04: { system: 'LDNS (2004)', about: 'local DNS servers on the Internet', fits: { exp: [141.06, 8.61], wbl: [[0.51, 79.3], [0.63, 5.62]], logn: [[3.25, 2.33], [0.91, 1.64]] } },
  microsoft99: { system: 'Microsoft (1999)', about: 'desktop machines in a corporate network', fits: { exp: [67.01, 16.49], wbl: [[0.55, 35.3], [0.6, 9.34]], logn: [[2.62, 1.84], [1.42, 1.54]] } },
  nd07cpu: { system: 'Notre Dame CPU (2007)', about: 'CPU availability of desktop grid machines', fits: { exp: [13.73, 4.25], wbl: [[0.45, 4.16], [0.51, 0.74]], logn: [[0.3, 2.2], [-1.02, 1.27]] } },
  overnet03: { system: 'Overnet (2003)', about: 'peers of a peer-to-peer network', fits: { exp: [2.29, 12.0], wbl: [[0.85, 2.04], [0.44, 2.98]], logn: [[0.19, 0.98], [0.08, 1.8]] } },
  pl05: { system: 'PlanetLab (2005)', about: 'nodes of a wide-area research testbed', fits: { exp: [159.49, 49.61], wbl: [[0.33, 19.35], [0.36, 5.59]], logn: [[1.44, 2.86], [0.4, 2.45]] } },
  skype06: { system: 'Skype (2006)', about: 'super-peers of a voice-over-IP network', fits: { exp: [16.27, 14.31], wbl: [[0.64, 10.86], [0.63, 9.48]], logn: [[1.6, 1.57], [1.4, 1.73]] } },
  websites02: { system: 'Websites (2002)', about: 'web servers probed from outside', fits: { exp: [11.85, 1.18], wbl: [[0.46, 3.68], [0.65, 0.61]], logn: [[0.23, 2.02], [-1.12, 1.13]] } },
};

const round = (x: number): number => Math.round(x);

function presetsOf(key: string, s: (typeof SYSTEMS)[string]): Array<[string, FailurePreset]> {
  const base = { system: s.system, about: s.about };
  const logn = ([mu, sigma]: [number, number]): Distribution => ({ kind: 'lognormal', median: round(Math.exp(mu) * HOUR), p99: round(Math.exp(mu + Z99 * sigma) * HOUR) });
  const wbl = ([shape, scale]: [number, number]): Distribution => ({ kind: 'weibull', shape, scale: round(scale * HOUR) });
  return [
    [`${key}-exponential`, { ...base, fit: 'exponential', between: { kind: 'exponential', mean: round(s.fits.exp[0] * HOUR) }, repair: { kind: 'exponential', mean: round(s.fits.exp[1] * HOUR) } }],
    [`${key}-weibull`, { ...base, fit: 'weibull', between: wbl(s.fits.wbl[0]), repair: wbl(s.fits.wbl[1]) }],
    [`${key}-lognormal`, { ...base, fit: 'lognormal', between: logn(s.fits.logn[0]), repair: logn(s.fits.logn[1]) }],
  ];
}

/** Every preset by name: `lanl05-weibull`, `g5k06-exponential`, `skype06-lognormal`, ... */
export const FAILURE_PRESETS: ReadonlyMap<string, FailurePreset> = new Map(Object.entries(SYSTEMS).flatMap(([key, s]) => presetsOf(key, s)));
