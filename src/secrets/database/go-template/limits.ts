/**
 * The bounds of a username template, in both syntaxes: how long its source, how deep its
 * parentheses, how long any value it computes, how many random characters or how wide a `printf`
 * field, and how much work one render may do. Every bound is checked before the work or the
 * allocation it limits, and past it the template is refused with an `InvalidRequestError`: a config
 * write gets a 400, and the event loop is never held for more than a few milliseconds.
 *
 * @module
 */
import { InvalidRequestError } from "../../../errors.js";

/** The longest template source, in characters (Vault's defaults are under 150). */
export const MAX_USERNAME_TEMPLATE_LENGTH = 4096;

/** The deepest nesting of `(…)` in a Go-syntax template. */
export const MAX_TEMPLATE_NESTING = 32;

/** The longest value (a function's result, an argument, the whole render), in UTF-16 units. */
export const MAX_TEMPLATE_VALUE_LENGTH = 4096;

/** The largest `random N`, `printf` width and `printf` precision. */
export const MAX_TEMPLATE_COUNT = 1024;

/**
 * The work one render may do, counted as the characters every function call reads and writes. A
 * documented default costs a few hundred; each function is linear in what it reads and writes, so
 * this bounds a render's time.
 */
export const MAX_TEMPLATE_WORK = 65_536;

/** How much of a name or value an error message quotes. */
const QUOTED_LENGTH = 24;

/** `text` as a JSON string, cut to a few characters (with `…`), so error messages stay short. */
export function quoteShort(text: string): string {
  return text.length > QUOTED_LENGTH ? `${JSON.stringify(text.slice(0, QUOTED_LENGTH)).slice(0, -1)}…"` : JSON.stringify(text);
}

/**
 * Refuses a template source over {@link MAX_USERNAME_TEMPLATE_LENGTH}, before anything reads it.
 *
 * @throws InvalidRequestError naming the limit
 */
export function checkTemplateLength(template: string, field: string): void {
  if (template.length > MAX_USERNAME_TEMPLATE_LENGTH) {
    throw new InvalidRequestError(`${field}: a template may hold at most ${MAX_USERNAME_TEMPLATE_LENGTH} characters, got ${template.length}`);
  }
}

/**
 * Refuses a value `length` units long past {@link MAX_TEMPLATE_VALUE_LENGTH}: called with the
 * length a function's result will have, before building it.
 *
 * @throws InvalidRequestError naming the limit
 */
export function checkValueLength(length: number, what: string, field: string): void {
  if (length > MAX_TEMPLATE_VALUE_LENGTH) {
    throw new InvalidRequestError(`${field}: ${what} would be longer than ${MAX_TEMPLATE_VALUE_LENGTH} characters`);
  }
}

/** The work budget of one render ({@link MAX_TEMPLATE_WORK}). */
export class RenderBudget {
  #spent = 0;
  readonly #field: string;

  /** @param field - the field the template came from, for the error message */
  constructor(field: string) {
    this.#field = field;
  }

  /**
   * Spends `characters` of work.
   *
   * @throws InvalidRequestError once the budget is spent
   */
  spend(characters: number): void {
    this.#spent += characters + 1;
    if (this.#spent > MAX_TEMPLATE_WORK) {
      throw new InvalidRequestError(`${this.#field}: rendering needs more work than a username template may take (${MAX_TEMPLATE_WORK} characters read and written)`);
    }
  }
}
