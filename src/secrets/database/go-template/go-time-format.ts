/**
 * Go's reference-time layouts (`2006-01-02T15:04:05Z07:00`), for the `timestamp` function. Times
 * are rendered in UTC, as the engine's clock is.
 *
 * @module
 */

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

const pad = (value: number, width: number, fill = "0"): string => String(value).padStart(width, fill);

/** Layout elements, longest first so that `January` wins over `Jan` and `2006` over `2`. */
const ELEMENTS: [string, (t: Date) => string][] = [
  ["January", (t) => MONTHS[t.getUTCMonth()]!],
  ["Monday", (t) => DAYS[t.getUTCDay()]!],
  ["Z07:00", () => "Z"],
  ["-07:00", () => "+00:00"],
  ["Z0700", () => "Z"],
  ["-0700", () => "+0000"],
  ["2006", (t) => pad(t.getUTCFullYear(), 4)],
  [".000000000", (t) => `.${pad(t.getUTCMilliseconds(), 3)}000000`],
  [".000000", (t) => `.${pad(t.getUTCMilliseconds(), 3)}000`],
  [".000", (t) => `.${pad(t.getUTCMilliseconds(), 3)}`],
  ["Jan", (t) => MONTHS[t.getUTCMonth()]!.slice(0, 3)],
  ["Mon", (t) => DAYS[t.getUTCDay()]!.slice(0, 3)],
  ["MST", () => "UTC"],
  ["-07", () => "+00"],
  ["Z07", () => "Z"],
  ["002", (t) => pad(dayOfYear(t), 3)],
  ["_2", (t) => pad(t.getUTCDate(), 2, " ")],
  ["01", (t) => pad(t.getUTCMonth() + 1, 2)],
  ["02", (t) => pad(t.getUTCDate(), 2)],
  ["03", (t) => pad(hour12(t), 2)],
  ["04", (t) => pad(t.getUTCMinutes(), 2)],
  ["05", (t) => pad(t.getUTCSeconds(), 2)],
  ["06", (t) => pad(t.getUTCFullYear() % 100, 2)],
  ["15", (t) => pad(t.getUTCHours(), 2)],
  ["PM", (t) => (t.getUTCHours() < 12 ? "AM" : "PM")],
  ["pm", (t) => (t.getUTCHours() < 12 ? "am" : "pm")],
  ["1", (t) => String(t.getUTCMonth() + 1)],
  ["2", (t) => String(t.getUTCDate())],
  ["3", (t) => String(hour12(t))],
  ["4", (t) => String(t.getUTCMinutes())],
  ["5", (t) => String(t.getUTCSeconds())],
];

function hour12(t: Date): number {
  return t.getUTCHours() % 12 || 12;
}

function dayOfYear(t: Date): number {
  return Math.floor((t.getTime() - Date.UTC(t.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

/** Formats `ms` (since the epoch) with a Go layout such as `2006-01-02T15:04:05Z07:00`. */
export function formatGoTime(layout: string, ms: number): string {
  const time = new Date(ms);
  let out = "";
  let position = 0;
  outer: while (position < layout.length) {
    for (const [element, render] of ELEMENTS) {
      if (layout.startsWith(element, position)) {
        out += render(time);
        position += element.length;
        continue outer;
      }
    }
    out += layout[position];
    position++;
  }
  return out;
}
