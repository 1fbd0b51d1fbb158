/**
 * Text that knows which of its characters are random: the values a username template computes.
 *
 * Why: a username must keep enough randomness to be unique, and only the real render can show
 * what survived `truncate`, `replace`, case changes and the cut to the database's limit. So
 * every string value carries, for each UTF-16 unit, the id of the random draw it is a copy of
 * (`random` and `uuid` give every character a fresh id), or {@link NOT_RANDOM}. Functions that
 * copy characters (`printf`, `truncate`, case changes, `replace` where it cannot match a random
 * character) copy the ids along; every other function (hashes, encodings, `timestamp`, …) returns
 * text without ids, since its characters are derived, not drawn. Counting the distinct ids in a
 * username then counts random characters that are really there — a copy repeated (`replace` with
 * a random replacement) counts once.
 *
 * @module
 */

/** The id of a character that is not a copy of a random draw. */
export const NOT_RANDOM = -1;

/** A string, and per UTF-16 unit the random draw it is a copy of (`null`: none is). */
export interface Text {
  readonly text: string;
  /** As long as `text`; `null` when no character is random (the common case, kept cheap). */
  readonly draws: readonly number[] | null;
}

/** Text with no random character. */
export function fixedText(text: string): Text {
  return { text, draws: null };
}

/** Whether `value` is a {@link Text}. */
export function isText(value: unknown): value is Text {
  return typeof value === "object" && value !== null && typeof (value as Text).text === "string";
}

/** The draws of `text`, one per unit, {@link NOT_RANDOM} where none. */
function drawsOf(text: Text): readonly number[] {
  return text.draws ?? new Array<number>(text.text.length).fill(NOT_RANDOM);
}

/** The parts, one after another. */
export function joinTexts(parts: readonly Text[]): Text {
  const text = parts.map((part) => part.text).join("");
  if (parts.every((part) => part.draws === null)) return fixedText(text);
  return { text, draws: parts.flatMap((part) => drawsOf(part)) };
}

/** Units `start` to `end` of `text`, as `String.prototype.slice`. */
export function sliceText(text: Text, start: number, end?: number): Text {
  return { text: text.text.slice(start, end), draws: text.draws?.slice(start, end) ?? null };
}

/**
 * `text` upper- or lower-cased. A random character is ASCII and maps to one character, keeping
 * its draw; other runs may change length (`ß` → `SS`) and stay not random.
 */
export function changeCase(text: Text, upper: boolean): Text {
  const map = (s: string): string => (upper ? s.toUpperCase() : s.toLowerCase());
  if (text.draws === null) return fixedText(map(text.text));
  const parts: Text[] = [];
  let start = 0;
  while (start < text.text.length) {
    const random = text.draws[start] !== NOT_RANDOM;
    let end = start + 1;
    while (end < text.text.length && (text.draws[end] !== NOT_RANDOM) === random) end++;
    if (random) {
      // One unit at a time, so that each keeps its own draw.
      for (let i = start; i < end; i++) {
        const mapped = map(text.text[i]!);
        parts.push(mapped.length === 1 ? { text: mapped, draws: [text.draws[i]!] } : fixedText(mapped));
      }
    } else {
      parts.push(fixedText(map(text.text.slice(start, end))));
    }
    start = end;
  }
  return joinTexts(parts);
}

/** How many distinct random draws `text` holds a copy of. */
export function countDraws(text: Text): number {
  return text.draws === null ? 0 : new Set(text.draws.filter((draw) => draw !== NOT_RANDOM)).size;
}
