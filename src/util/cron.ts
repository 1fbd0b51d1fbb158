/**
 * Standard 5-field cron schedules (`minute hour day-of-month month day-of-week`), evaluated in UTC.
 *
 * Each field takes `*` (or `?`), a number, a range `a-b`, a step `*\/n` or `a-b/n`, or a comma list
 * of these; day-of-week is 0–7 (0 and 7 are Sunday). Months and weekdays may be named (`JAN`–`DEC`,
 * `SUN`–`SAT`, any case), and the macros `@yearly`/`@annually`, `@monthly`, `@weekly`, `@daily`/
 * `@midnight` and `@hourly` stand for their 5-field forms — the forms Vault's `rotation_schedule`
 * accepts. As in classic cron, when both day-of-month and day-of-week are restricted, a day
 * matching either one matches. Written here rather than taken from a dependency: the whole need is
 * this one function and its validation, about a hundred lines.
 *
 * @module
 */
import { InvalidRequestError } from "../errors.js";

const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "day of week", min: 0, max: 7 },
] as const;

/** The macros, as 5-field expressions. */
const MACROS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/** How far ahead {@link CronSchedule.next} looks before deciding a schedule never fires (e.g. 30 February). */
const MAX_SEARCH_YEARS = 5;

/** A parsed cron schedule. */
export class CronSchedule {
  readonly #minutes: Set<number>;
  readonly #hours: Set<number>;
  readonly #days: Set<number>;
  readonly #months: Set<number>;
  readonly #weekdays: Set<number>;
  readonly #daysRestricted: boolean;
  readonly #weekdaysRestricted: boolean;

  private constructor(fields: Set<number>[], restricted: boolean[]) {
    [this.#minutes, this.#hours, this.#days, this.#months, this.#weekdays] = fields as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
    if (this.#weekdays.has(7)) this.#weekdays.add(0);
    this.#daysRestricted = restricted[2]!;
    this.#weekdaysRestricted = restricted[4]!;
  }

  /**
   * Parses `expression`.
   *
   * @throws InvalidRequestError naming the bad field, or when the schedule can never fire
   */
  static parse(expression: string, field = "rotation_schedule"): CronSchedule {
    const trimmed = expression.trim();
    if (trimmed.startsWith("@") && !(trimmed.toLowerCase() in MACROS)) {
      throw new InvalidRequestError(`${field}: unknown macro ${JSON.stringify(trimmed)}; known: ${Object.keys(MACROS).join(", ")}`);
    }
    const parts = (MACROS[trimmed.toLowerCase()] ?? trimmed).split(/\s+/);
    if (parts.length !== 5) {
      throw new InvalidRequestError(`${field}: expected 5 fields (minute hour day-of-month month day-of-week), found ${parts.length}`);
    }
    const sets = parts.map((part, i) => parseField(part, FIELDS[i]!, field));
    const schedule = new CronSchedule(sets, parts.map((part) => part !== "*" && part !== "?"));
    if (schedule.next(Date.UTC(2000, 0, 1)) === undefined) throw new InvalidRequestError(`${field}: ${JSON.stringify(expression)} never fires`);
    return schedule;
  }

  /** The first time strictly after `after` (ms since the epoch) that matches, or `undefined`. */
  next(after: number): number | undefined {
    const t = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
    const limit = after + MAX_SEARCH_YEARS * 366 * 86_400_000;
    while (t.getTime() <= limit) {
      if (!this.#months.has(t.getUTCMonth() + 1)) {
        t.setUTCMonth(t.getUTCMonth() + 1, 1);
        t.setUTCHours(0, 0);
      } else if (!this.#dayMatches(t)) {
        t.setUTCDate(t.getUTCDate() + 1);
        t.setUTCHours(0, 0);
      } else if (!this.#hours.has(t.getUTCHours())) {
        t.setUTCHours(t.getUTCHours() + 1, 0);
      } else if (!this.#minutes.has(t.getUTCMinutes())) {
        t.setUTCMinutes(t.getUTCMinutes() + 1);
      } else {
        return t.getTime();
      }
    }
    return undefined;
  }

  #dayMatches(t: Date): boolean {
    const day = this.#days.has(t.getUTCDate());
    const weekday = this.#weekdays.has(t.getUTCDay());
    if (this.#daysRestricted && this.#weekdaysRestricted) return day || weekday;
    return day && weekday;
  }
}

function parseField(text: string, spec: (typeof FIELDS)[number], field: string): Set<number> {
  const values = new Set<number>();
  const names = spec.name === "month" ? MONTH_NAMES : spec.name === "day of week" ? WEEKDAY_NAMES : undefined;
  // Names become numbers first (JAN = 1, SUN = 0), so ranges and steps of names work too.
  const numeric = (text === "?" ? "*" : text).replace(/[A-Za-z]+/g, (name) => {
    const index = names?.indexOf(name.toUpperCase()) ?? -1;
    if (index === -1) throw new InvalidRequestError(`${field}: unknown name ${JSON.stringify(name)} in the ${spec.name} field`);
    return String(index + spec.min);
  });
  for (const item of numeric.split(",")) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
    if (!match) throw new InvalidRequestError(`${field}: cannot read ${JSON.stringify(item)} in the ${spec.name} field`);
    const from = match[1] === "*" ? spec.min : Number(match[2]);
    const to = match[1] === "*" ? spec.max : match[3] !== undefined ? Number(match[3]) : match[4] !== undefined ? spec.max : from;
    const step = match[4] !== undefined ? Number(match[4]) : 1;
    if (from < spec.min || to > spec.max || from > to || step < 1) {
      throw new InvalidRequestError(`${field}: ${JSON.stringify(item)} is outside ${spec.min}-${spec.max} in the ${spec.name} field`);
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}
