/**
 * `replace find by text`: Go's `strings.ReplaceAll`, bounded, and honest about randomness.
 *
 * @module
 */
import { checkValueLength } from "./limits.js";
import { Pattern } from "./search.js";
import { fixedText, joinTexts, sliceText, type Text } from "./text.js";

/** What a random character can be (`random`: `[A-Za-z0-9]`; `uuid`: hex digits). */
const RANDOM_CHARACTER = /[A-Za-z0-9]/;

/**
 * Every non-overlapping `find` in `text`, left to right, replaced by `by` (an empty `find` matches
 * before every character and at the end, as in Go). The result's length is computed from the
 * matches first and refused past the value limit, so a chain of replaces cannot grow
 * exponentially.
 *
 * Randomness: where `find` holds a character a random one can be, whether and where it matches
 * random text depends on the draw — 62 single-letter replaces turn any random text into one fixed
 * string. So the result then keeps no random characters at all (even where this draw happened not
 * to match); otherwise `find` can only match non-random characters, and the random ones are copied
 * along with their draws.
 *
 * @throws InvalidRequestError when the result would pass the value limit
 */
export function replaceAll(find: Text, by: Text, text: Text, field: string): Text {
  const matches = matchesOf(find.text, text.text);
  checkValueLength(text.text.length + matches.length * (by.text.length - find.text.length), "replace", field);
  const parts: Text[] = [];
  let position = 0;
  for (const at of matches) {
    parts.push(sliceText(text, position, at), by);
    position = at + find.text.length;
  }
  parts.push(sliceText(text, position));
  const result = joinTexts(parts);
  return text.draws !== null && RANDOM_CHARACTER.test(find.text) ? fixedText(result.text) : result;
}

/** Where `find` starts in `text`, non-overlapping; for an empty `find`, before each code point and at the end. */
function matchesOf(find: string, text: string): number[] {
  const matches: number[] = [];
  if (find === "") {
    let position = 0;
    for (const char of text) {
      matches.push(position);
      position += char.length;
    }
    matches.push(position);
    return matches;
  }
  const pattern = new Pattern(find);
  for (let at = pattern.indexIn(text); at !== -1; at = pattern.indexIn(text, at + find.length)) matches.push(at);
  return matches;
}
