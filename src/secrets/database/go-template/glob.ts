/**
 * `glob`: go-glob's matching, where `*` stands for any run of characters and nothing else is
 * special — in linear time. Each part between stars is matched at its leftmost place after the
 * previous one (leftmost is always a best choice when the only wildcard is `*`), so nothing is
 * ever retried; the regular expression this replaces backtracked, and `*a*a*a…b` against `aaa…`
 * took minutes.
 *
 * @module
 */
import { Pattern } from "./search.js";

/** Whether `value` matches `pattern`, as go-glob's `Glob(pattern, value)`. */
export function globMatches(pattern: string, value: string): boolean {
  const parts = pattern.split("*");
  if (parts.length === 1) return pattern === value;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!value.startsWith(first)) return false;
  let position = first.length;
  for (const part of parts.slice(1, -1)) {
    const at = new Pattern(part).indexIn(value, position);
    if (at === -1) return false;
    position = at + part.length;
  }
  // The last part must end the value, after everything matched so far.
  return value.length - position >= last.length && value.endsWith(last);
}
