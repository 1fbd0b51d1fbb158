/**
 * `{{name}}`-style templates for SQL statements and connection URLs, rendered with mustache.
 *
 * Two rules make templates safe to use in SQL: values are never HTML-escaped (mustache's default),
 * and a template may only name variables that the caller declares — a typo such as `{{nmae}}` is an
 * error instead of an empty string inside a `CREATE ROLE`.
 *
 * @module
 */
import Mustache from "mustache";
import { InvalidRequestError } from "../../errors.js";

type MustacheToken = [type: string, value: string, ...rest: unknown[]];

const identity = (value: unknown): string => String(value);

/**
 * Checks that `template` only uses plain `{{variable}}` tags naming one of `allowed`.
 *
 * @param field - the field the template came from, for the error message
 * @throws InvalidRequestError on unknown variables, sections, partials or a malformed template
 */
export function validateTemplate(template: string, allowed: readonly string[], field: string): void {
  let tokens: MustacheToken[];
  try {
    tokens = Mustache.parse(template) as MustacheToken[];
  } catch (err) {
    throw new InvalidRequestError(`${field}: malformed template: ${(err as Error).message}`);
  }
  for (const [type, name] of tokens) {
    if (type === "text" || type === "!") continue;
    if (type !== "name" && type !== "&") {
      throw new InvalidRequestError(`${field}: only {{variable}} tags are supported, found "{{${type}${name}}}"`);
    }
    if (!allowed.includes(name)) {
      throw new InvalidRequestError(
        `${field}: unknown template variable {{${name}}}; known variables are ${allowed.map((a) => `{{${a}}}`).join(", ")}`,
      );
    }
  }
}

/**
 * Renders `template` with `values`, without any escaping. Call {@link validateTemplate} first (when
 * the template is written) so unknown variables are caught early.
 */
export function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return Mustache.render(template, values, {}, { escape: identity });
}
