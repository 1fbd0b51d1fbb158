/**
 * Go's `fmt.Sprintf` and `fmt.Sprint` for username templates, bounded: widths up to
 * {@link MAX_TEMPLATE_COUNT}, results up to the value limit (checked as the result is assembled,
 * before the padding or the joined string is built).
 *
 * @module
 */
import { InvalidRequestError } from "../../../errors.js";
import { checkValueLength, MAX_TEMPLATE_COUNT, quoteShort } from "./limits.js";
import { fixedText, isText, joinTexts, type Text } from "./text.js";

/** A template value: text, an integer or a boolean. */
export type Value = Text | number | boolean;

/** A value as `%v` / `%s` print it, keeping the draws of text. */
export function textOf(value: Value): Text {
  return isText(value) ? value : fixedText(String(value));
}

/** `%s`, `%v`, `%d` (with an optional `-` and width) and `%%`. */
const DIRECTIVE = /%(-?)(\d*)([a-zA-Z%])/g;

/** `fmt.Sprintf(format, args…)` for the verbs templates use. @throws InvalidRequestError on a bad directive or a result past the limit */
export function printf(format: string, args: readonly Value[], field: string): Text {
  const fail = (what: string): never => {
    throw new InvalidRequestError(`${field}: printf: ${what}`);
  };
  const parts: Text[] = [];
  let length = 0;
  const add = (part: Text): void => {
    length += part.text.length;
    checkValueLength(length, "printf", field);
    parts.push(part);
  };
  let next = 0;
  let position = 0;
  for (const match of format.matchAll(DIRECTIVE)) {
    const [directive, left, width, verb] = match;
    add(fixedText(format.slice(position, match.index)));
    position = match.index + directive.length;
    if (verb === "%") {
      add(fixedText("%"));
      continue;
    }
    if (!"svd".includes(verb!)) fail(`the %${verb} verb is not supported (use %s, %v or %d)`);
    if (next >= args.length) fail(`missing an argument for %${verb}`);
    const arg = args[next++]!;
    if (verb === "d" && typeof arg !== "number") fail(`%d needs an integer, got ${describe(arg)}`);
    const size = Number(width || 0);
    if (size > MAX_TEMPLATE_COUNT) fail(`a width of at most ${MAX_TEMPLATE_COUNT} is supported, got ${width!.length > 8 ? `${width!.length} digits` : width}`);
    const text = textOf(arg);
    const padding = fixedText(" ".repeat(Math.max(0, size - text.text.length)));
    for (const part of left ? [text, padding] : [padding, text]) add(part);
  }
  add(fixedText(format.slice(position)));
  if (next < args.length) fail(`${args.length - next} argument(s) left over`);
  return joinTexts(parts);
}

/** `fmt.Sprint(args…)`: spaces between operands when neither is a string. @throws InvalidRequestError past the limit */
export function print(args: readonly Value[], field: string): Text {
  const parts: Text[] = [];
  let length = 0;
  args.forEach((arg, i) => {
    const text = textOf(arg);
    const space = i > 0 && !isText(arg) && !isText(args[i - 1]);
    length += text.text.length + (space ? 1 : 0);
    checkValueLength(length, "print", field);
    if (space) parts.push(fixedText(" "));
    parts.push(text);
  });
  return joinTexts(parts);
}

/** A value for an error message, short. */
export function describe(value: Value): string {
  return isText(value) ? quoteShort(value.text) : JSON.stringify(value);
}
