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

type MustacheToken = [type: string, value: string, start: number, ...rest: unknown[]];

const identity = (value: unknown): string => String(value);

/** Options of {@link validateTemplate}. */
export interface TemplateCheckOptions {
  /**
   * Whether errors may quote the template's text (the tag found, the variable's name). `false` for
   * a template that may hold a secret, such as a `connection_url` with a literal password: errors
   * then say what is wrong and where (a character position), never what the text was.
   */
  quoteText?: boolean;
}

/**
 * Checks that `template` only uses plain `{{variable}}` tags naming one of `allowed`.
 *
 * @param field - the field the template came from, for the error message
 * @throws InvalidRequestError on unknown variables, sections, partials or a malformed template
 */
export function validateTemplate(template: string, allowed: readonly string[], field: string, { quoteText = true }: TemplateCheckOptions = {}): void {
  let tokens: MustacheToken[];
  try {
    tokens = Mustache.parse(template) as MustacheToken[];
  } catch (err) {
    const message = (err as Error).message;
    if (quoteText) throw new InvalidRequestError(`${field}: malformed template: ${message}`);
    // Mustache's message quotes a section's name; only its position is kept.
    const at = / at (\d+)$/.exec(message)?.[1];
    throw new InvalidRequestError(`${field}: malformed template: an unclosed or unopened {{ }} tag${at === undefined ? "" : ` near character ${Number(at) + 1}`}`);
  }
  const known = allowed.map((a) => `{{${a}}}`).join(", ");
  for (const [type, name, start] of tokens) {
    if (type === "text" || type === "!") continue;
    const where = `at character ${Number(start) + 1}`;
    if (type !== "name" && type !== "&") {
      throw new InvalidRequestError(`${field}: only {{variable}} tags are supported, found ${quoteText ? `"{{${type}${name}}}"` : `another kind of tag ${where}`}`);
    }
    if (!allowed.includes(name)) {
      throw new InvalidRequestError(`${field}: unknown template variable ${quoteText ? `{{${name}}}` : where}; known variables are ${known}`);
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
