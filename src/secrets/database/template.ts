/**
 * `{{name}}`-style templates for SQL statements and connection URLs, rendered with mustache.
 *
 * Two rules make templates safe to use in SQL: values are never HTML-escaped (mustache's default),
 * and a template may only name variables that the caller declares — a typo such as `{{nmae}}` is an
 * error instead of an empty string inside a `CREATE ROLE`.
 *
 * @module
 */
import Mustache, { type TemplateCache } from "mustache";
import { InvalidRequestError } from "../../errors.js";
import { quoteShort } from "./go-template/limits.js";

/** A parsed mustache tag or text: its type (`text`, `name`, `#`, …) and its text. */
export type MustacheToken = [type: string, value: string, start: number, ...rest: unknown[]];

const identity = (value: unknown): string => String(value);

/** How many parsed templates are kept (statements are rendered for every credential: parsing once pays). */
const CACHED_TEMPLATES = 256;

/**
 * Mustache's parse cache, bounded: mustache's own keeps every template it ever parsed, and every
 * template written (accepted or refused) would stay in memory for good. Oldest out first.
 */
function boundedCache(): TemplateCache {
  const entries = new Map<string, string>();
  return {
    set(key, value) {
      entries.delete(key);
      if (entries.size >= CACHED_TEMPLATES) entries.delete(entries.keys().next().value!);
      entries.set(key, value);
    },
    get: (key) => entries.get(key),
    clear: () => entries.clear(),
  };
}

/** vaultlet's own mustache writer, so that neither its cache nor the host's global one grows without bound. */
const writer = new Mustache.Writer();
(writer as unknown as { templateCache: TemplateCache }).templateCache = boundedCache();

/**
 * Parses a mustache template.
 *
 * @throws InvalidRequestError when the template is malformed
 */
export function parseMustache(template: string, field: string): MustacheToken[] {
  try {
    return writer.parse(template) as MustacheToken[];
  } catch (err) {
    // Mustache's messages can quote a section name: cut, so the message stays short.
    throw new InvalidRequestError(`${field}: malformed template: ${(err as Error).message.slice(0, 80)}`);
  }
}

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
  const known = allowed.map((a) => `{{${a}}}`).join(", ");
  for (const [type, name, start] of parseTokens(template, field, quoteText)) {
    if (type === "text" || type === "!") continue;
    const where = `at character ${Number(start) + 1}`;
    if (type !== "name" && type !== "&") {
      throw new InvalidRequestError(`${field}: only {{variable}} tags are supported, found ${quoteText ? `"{{${type}${shortName(name)}}}"` : `another kind of tag ${where}`}`);
    }
    if (!allowed.includes(name)) {
      throw new InvalidRequestError(`${field}: unknown template variable ${quoteText ? `{{${shortName(name)}}}` : where}; known variables are ${known}`);
    }
  }
}

/** Parses for {@link validateTemplate}: without `quoteText`, a malformed template's error keeps only a position. */
function parseTokens(template: string, field: string, quoteText: boolean): MustacheToken[] {
  if (quoteText) return parseMustache(template, field);
  try {
    return writer.parse(template) as MustacheToken[];
  } catch (err) {
    // Mustache's message quotes a section's name; only its position is kept.
    const at = / at (\d+)$/.exec((err as Error).message)?.[1];
    throw new InvalidRequestError(`${field}: malformed template: an unclosed or unopened {{ }} tag${at === undefined ? "" : ` near character ${Number(at) + 1}`}`);
  }
}

/** A tag's name for an error message, cut short. */
function shortName(name: string): string {
  return quoteShort(name).slice(1, -1);
}

/**
 * Renders `template` with `values`, without any escaping. Call {@link validateTemplate} first (when
 * the template is written) so unknown variables are caught early.
 */
export function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return writer.render(template, values, {}, { escape: identity });
}

/**
 * Whether any of `templates` has a `{{name}}` (or `{{&name}}`, `{{{name}}}`) tag for `variable`:
 * so a value that is costly to compute (a password's SCRAM verifier) is computed only when a
 * statement will hold it.
 */
export function templatesUse(templates: readonly string[], variable: string): boolean {
  return templates.some((template) => template.includes("{{") && parseMustache(template, "statements").some(([type, name]) => (type === "name" || type === "&") && name === variable));
}
