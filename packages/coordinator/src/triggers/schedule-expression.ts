/**
 * EventBridge schedule expressions (the syntax of EventBridge rules and Scheduler, in UTC):
 *
 * - `rate(value unit)`: `unit` is `minute`/`minutes`, `hour`/`hours` or `day`/`days`, singular
 *   exactly when `value` is 1. It fires every period from the moment the schedule was created.
 * - `cron(minutes hours day-of-month month day-of-week year)`: six fields; `*`, `,`, `-`, `/`
 *   everywhere; `?` in day-of-month or day-of-week (one of the two must be `?`); `L` (last day of
 *   the month; `5L` the last Thursday), `W` (`15W` nearest weekday, `LW` last weekday) and `#`
 *   (`3#2` the second Tuesday). Months `1-12` or `JAN-DEC`, days of week `1-7` or `SUN-SAT`
 *   (1 = Sunday), years 1970-2199.
 *
 * {@link ScheduleExpression.nextAfter} gives the first fire time strictly after a time; pure, so
 * it is unit-tested without a clock.
 */
export type ScheduleExpression =
  | { kind: 'rate'; text: string; periodMs: number; nextAfter(t: number, anchor: number): number }
  | { kind: 'cron'; text: string; nextAfter(t: number): number | undefined };

/** A schedule expression that does not parse; the message says what is wrong. */
export class ScheduleExpressionError extends Error {
  override readonly name = 'ScheduleExpressionError';
  readonly code = 'INVALID_SCHEDULE_EXPRESSION';
}

const MINUTE = 60_000;
const UNITS: Record<string, number> = { minute: MINUTE, hour: 60 * MINUTE, day: 24 * 60 * MINUTE };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
/** How far ahead a cron expression is searched (a `cron(0 0 29 2 ? 2100)` is far off, not never). */
const SEARCH_DAYS = 366 * 230;

/** Parses `rate(...)` or `cron(...)`; throws {@link ScheduleExpressionError}. */
export function parseScheduleExpression(text: string): ScheduleExpression {
  if (typeof text !== 'string') throw new ScheduleExpressionError('a schedule expression is a string: rate(...) or cron(...)');
  const trimmed = text.trim();
  const rate = /^rate\((.*)\)$/.exec(trimmed);
  if (rate) return parseRate(trimmed, rate[1]!.trim());
  const cron = /^cron\((.*)\)$/.exec(trimmed);
  if (cron) return parseCron(trimmed, cron[1]!.trim());
  throw new ScheduleExpressionError(`"${trimmed.slice(0, 100)}" is not rate(value unit) or cron(minutes hours day-of-month month day-of-week year)`);
}

function parseRate(text: string, body: string): ScheduleExpression {
  const m = /^(\d+)\s+(minute|minutes|hour|hours|day|days)$/.exec(body);
  if (!m) throw new ScheduleExpressionError(`rate expression "${text}" must be rate(value unit), unit minute(s), hour(s) or day(s)`);
  const value = Number(m[1]);
  const unit = m[2]!;
  if (value < 1) throw new ScheduleExpressionError(`rate expression "${text}": the value must be a positive integer`);
  const singular = !unit.endsWith('s');
  if (value === 1 && !singular) throw new ScheduleExpressionError(`rate expression "${text}": use the singular unit for 1 (rate(1 ${unit.slice(0, -1)}))`);
  if (value > 1 && singular) throw new ScheduleExpressionError(`rate expression "${text}": use the plural unit for values above 1 (rate(${value} ${unit}s))`);
  const periodMs = value * UNITS[singular ? unit : unit.slice(0, -1)]!;
  return {
    kind: 'rate',
    text,
    periodMs,
    // Fires at anchor + k * period, the first one after t.
    nextAfter: (t, anchor) => anchor + (Math.floor(Math.max(0, t - anchor) / periodMs) + 1) * periodMs,
  };
}

interface CronFields {
  minutes: number[];
  hours: number[];
  months: Set<number>;
  years: Set<number>;
  dayOfMonth: DayRule | undefined;
  dayOfWeek: DayRule | undefined;
}

/** Whether a day (UTC) matches a day-of-month or day-of-week field. */
type DayRule = (year: number, month: number, day: number) => boolean;

function parseCron(text: string, body: string): ScheduleExpression {
  const parts = body.split(/\s+/);
  if (parts.length !== 6) throw new ScheduleExpressionError(`cron expression "${text}" must have 6 fields (minutes hours day-of-month month day-of-week year), it has ${parts.length}`);
  const [min, hour, dom, month, dow, year] = parts as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) {
    throw new ScheduleExpressionError(`cron expression "${text}": exactly one of day-of-month and day-of-week must be ?`);
  }
  const f: CronFields = {
    minutes: [...field(min, 0, 59, 'minutes')].sort((a, b) => a - b),
    hours: [...field(hour, 0, 23, 'hours')].sort((a, b) => a - b),
    months: field(month, 1, 12, 'month', MONTHS),
    years: field(year, 1970, 2199, 'year'),
    dayOfMonth: dom === '?' ? undefined : dayOfMonthRule(dom),
    dayOfWeek: dow === '?' ? undefined : dayOfWeekRule(dow),
  };
  return { kind: 'cron', text, nextAfter: (t) => nextCron(f, t) };
}

/** A set of values from `*`, `a`, `a-b`, `a/n`, `a-b/n`, `* /n` and lists of those. */
function field(text: string, min: number, max: number, name: string, names?: string[]): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new ScheduleExpressionError(`cron ${name} field "${text}": bad step "${stepText}"`);
    let lo: number;
    let hi: number;
    if (range === '*') {
      lo = min;
      hi = max;
    } else {
      const [a, b] = range.split('-') as [string, string | undefined];
      lo = value(a, min, max, name, names);
      hi = b === undefined ? (stepText === undefined ? lo : max) : value(b, min, max, name, names);
      if (hi < lo) throw new ScheduleExpressionError(`cron ${name} field "${text}": range ${range} goes backwards`);
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

function value(text: string, min: number, max: number, name: string, names?: string[]): number {
  const i = names ? names.indexOf(text.toUpperCase()) : -1;
  const v = i >= 0 ? i + min : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(v) || v < min || v > max) throw new ScheduleExpressionError(`cron ${name} field: "${text}" is not a value from ${min} to ${max}${names ? ` (or ${names[0]}-${names.at(-1)})` : ''}`);
  return v;
}

const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();
const weekday = (year: number, month: number, day: number): number => new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;

function dayOfMonthRule(text: string): DayRule {
  if (text === 'L') return (y, m, d) => d === daysIn(y, m);
  if (text === 'LW') {
    return (y, m, d) => {
      let last = daysIn(y, m);
      while (weekday(y, m, last) === 1 || weekday(y, m, last) === 7) last--;
      return d === last;
    };
  }
  const w = /^(\d{1,2})W$/.exec(text);
  if (w) {
    const target = value(w[1]!, 1, 31, 'day-of-month');
    return (y, m, d) => d === nearestWeekday(y, m, Math.min(target, daysIn(y, m)));
  }
  const days = field(text, 1, 31, 'day-of-month');
  return (_y, _m, d) => days.has(d);
}

/** The weekday nearest to `day` within its month (Saturday -> Friday, Sunday -> Monday, not across months). */
function nearestWeekday(y: number, m: number, day: number): number {
  const wd = weekday(y, m, day);
  if (wd === 7) return day === 1 ? 3 : day - 1;
  if (wd === 1) return day === daysIn(y, m) ? day - 2 : day + 1;
  return day;
}

function dayOfWeekRule(text: string): DayRule {
  const last = /^(\w+)L$/.exec(text);
  if (text === 'L') return (y, m, d) => weekday(y, m, d) === 7;
  if (last) {
    const wd = value(last[1]!, 1, 7, 'day-of-week', DAYS);
    return (y, m, d) => weekday(y, m, d) === wd && d + 7 > daysIn(y, m);
  }
  const nth = /^(\w+)#([1-5])$/.exec(text);
  if (nth) {
    const wd = value(nth[1]!, 1, 7, 'day-of-week', DAYS);
    const n = Number(nth[2]);
    return (y, m, d) => weekday(y, m, d) === wd && Math.ceil(d / 7) === n;
  }
  const days = field(text, 1, 7, 'day-of-week', DAYS);
  return (y, m, d) => days.has(weekday(y, m, d));
}

function nextCron(f: CronFields, t: number): number | undefined {
  // The first whole minute strictly after t.
  const start = new Date(Math.floor(t / MINUTE) * MINUTE + MINUTE);
  let y = start.getUTCFullYear();
  let mo = start.getUTCMonth() + 1;
  let d = start.getUTCDate();
  let fromMinute = start.getUTCHours() * 60 + start.getUTCMinutes();
  for (let i = 0; i < SEARCH_DAYS; i++) {
    if (y > 2199) return undefined;
    const dayMatches = f.years.has(y) && f.months.has(mo) && (f.dayOfMonth ? f.dayOfMonth(y, mo, d) : f.dayOfWeek!(y, mo, d));
    if (dayMatches) {
      for (const h of f.hours) {
        if (h * 60 + 59 < fromMinute) continue;
        for (const mi of f.minutes) {
          if (h * 60 + mi >= fromMinute) return Date.UTC(y, mo - 1, d, h, mi);
        }
      }
    }
    fromMinute = 0;
    if (!f.years.has(y)) {
      // Skip the rest of a year that cannot match.
      y++;
      mo = 1;
      d = 1;
      continue;
    }
    d++;
    if (d > daysIn(y, mo)) {
      d = 1;
      mo++;
      if (mo > 12) {
        mo = 1;
        y++;
      }
    }
  }
  return undefined;
}
