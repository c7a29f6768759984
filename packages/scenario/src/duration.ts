/**
 * Durations in scenario files are strings with a unit: `500ms`, `20s`, `2m`, `1h`, compounds such
 * as `1m30s`, decimals such as `1.5s`, or ISO-8601 `PT1M30S` (what AWS FIS templates use). The
 * bare number `0` is allowed; any other bare number is refused, because `duration: 60` could mean
 * seconds or milliseconds and a chaos run should not guess.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const PART = '(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)';
const COMPOUND = new RegExp(`^(?:${PART})+$`);
const PART_GLOBAL = new RegExp(PART, 'g');
const ISO = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** The JSON Schema `pattern` of a duration string (for editors; the parser is the authority). */
export const DURATION_PATTERN = '^(?:(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h|d))+|P(?:\\d+(?:\\.\\d+)?D)?(?:T(?:\\d+(?:\\.\\d+)?H)?(?:\\d+(?:\\.\\d+)?M)?(?:\\d+(?:\\.\\d+)?S)?)?)$';

/** What a bad duration gets told. */
export const DURATION_HINT = 'use 500ms, 20s, 2m';

/** Parses a duration into milliseconds, or returns undefined when it is not one. */
export function parseDuration(value: unknown): number | undefined {
  if (value === 0) return 0;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (COMPOUND.test(text)) {
    let ms = 0;
    for (const m of text.matchAll(PART_GLOBAL)) ms += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
    return round3(ms);
  }
  const iso = ISO.exec(text);
  if (iso && text !== 'P' && text !== 'PT') {
    const [, d, h, m, s] = iso;
    return round3(Number(d ?? 0) * UNIT_MS.d + Number(h ?? 0) * UNIT_MS.h + Number(m ?? 0) * UNIT_MS.m + Number(s ?? 0) * UNIT_MS.s);
  }
  return undefined;
}

/** Why `value` is not a duration, in the words the user sees. */
export function durationProblem(value: unknown): string {
  if (typeof value === 'number') {
    return `${value} has no unit: write ${value}ms or ${value}s (${DURATION_HINT})`;
  }
  return `${JSON.stringify(value)} is not a duration (${DURATION_HINT})`;
}

/** A short human form of milliseconds: `1.5s`, `2m`, `250ms`, `1m30s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1_000) return `${round3(ms)}ms`;
  if (ms < 60_000) return `${round3(ms / 1_000)}s`;
  const minutes = Math.floor(ms / 60_000);
  const rest = ms - minutes * 60_000;
  if (minutes < 60) return rest === 0 ? `${minutes}m` : `${minutes}m${round3(rest / 1_000)}s`;
  const hours = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${hours}h${m ? `${m}m` : ''}${rest ? `${round3(rest / 1_000)}s` : ''}`;
}

/** Rounds to microseconds, so that decimal inputs (`0.1s`) give stable millisecond values. */
export function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
