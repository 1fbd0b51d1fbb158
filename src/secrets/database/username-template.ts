/**
 * `username_template`, in either of two syntaxes:
 *
 * - **Vault's** (Go `text/template`, see `go-template/`): `{{.DisplayName}}`, `{{.RoleName}}`,
 *   Vault's functions and pipes, e.g. Vault's PostgreSQL default
 *   `{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (random 20) (unix_time) | truncate 63 }}`.
 *   A template is read this way when it uses a field (`.Name`), `(`, a trim marker, a comment, or
 *   a function only Vault's syntax has ({@link isGoTemplate}).
 * - **vaultlet's earlier syntax**, kept so stored configs keep working: mustache tags with a tiny
 *   pipe syntax for helpers.
 *
 * ```text
 * v-{{display_name | truncate 8}}-{{role_name | truncate 8 | lowercase}}-{{random 20}}-{{unix_time}}
 * ```
 *
 * A tag is a value followed by `| helper args…` steps, applied left to right. Values:
 * `display_name`, `role_name`, `unix_time` (seconds), `unix_time_ms`, `random N` (N characters of
 * `[A-Za-z0-9]` from `node:crypto`). Helpers: `truncate N`, `truncate_sha256 N` (longer strings are cut
 * to N-8 characters plus the first 8 hex digits of their SHA-256), `lowercase`, `uppercase`,
 * `replace "from" "to"`. Arguments are integers or double-quoted strings.
 *
 * Safety: nothing is HTML-escaped; the literal text may only hold `[A-Za-z0-9_.@:-]`; `display_name`
 * and `role_name` are reduced to `[A-Za-z0-9_.-]` before helpers run (other characters become `-`),
 * and `replace` may only insert those characters. So a username can never break out of a quoted
 * identifier or a string literal, whatever a token or role is called.
 *
 * Bounds, in both syntaxes (`go-template/limits.ts`): the source's length, every value's length
 * (checked before a value is built), the work of a render; and every username keeps at least 8
 * random characters, counted on the render itself ({@link UsernameTemplate.render}).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { InvalidRequestError } from "../../errors.js";
import { GoTemplate, realEnvironment, type FunctionEnvironment } from "./go-template/go-template.js";
import { checkTemplateLength, checkValueLength, quoteShort, RenderBudget } from "./go-template/limits.js";
import { replaceAll } from "./go-template/replace.js";
import { changeCase, countDraws, fixedText, joinTexts, sliceText, type Text } from "./go-template/text.js";
import { parseMustache } from "./template.js";

/** The values a username template can use. */
export interface UsernameValues {
  /** The requesting token's display name. */
  displayName: string;
  /** The role name. */
  roleName: string;
  /** Now, ms since the epoch. */
  now: number;
}

/** Vault's default username format, as a template. */
export const DEFAULT_USERNAME_TEMPLATE =
  "v-{{display_name | truncate 8}}-{{role_name | truncate 8}}-{{random 20}}-{{unix_time}}";

/**
 * The fewest random characters a username must keep for usernames to stay unique: counted on each
 * real render, as the distinct random draws its characters are copies of (see
 * `go-template/text.ts`). Copies, or case changes, of `[A-Za-z0-9]` or UUID hex digits: at least
 * 4 bits each, so two usernames collide with a chance under 2^-32.
 */
const MIN_RANDOM_CHARS = 8;

/** The names and time of the render a config write checks: names as long as a display name gets. */
const CHECK_VALUES: UsernameValues = { displayName: "x".repeat(64), roleName: "x".repeat(64), now: Date.UTC(2100, 0) };

const SAFE_LITERAL = /^[A-Za-z0-9_.@:-]*$/;
const UNSAFE_VALUE_CHARS = /[^A-Za-z0-9_.-]/g;
const VALUE_NAMES = ["display_name", "role_name", "unix_time", "unix_time_ms", "random"] as const;
const HELPER_ARITY = { truncate: 1, truncate_sha256: 1, lowercase: 0, uppercase: 0, replace: 2 } as const;

type ValueName = (typeof VALUE_NAMES)[number];
type HelperName = keyof typeof HELPER_ARITY;
type Argument = string | number;
interface Step {
  helper: HelperName;
  args: Argument[];
}
interface Expression {
  value: ValueName;
  /** For `random N`. */
  length: number;
  steps: Step[];
}
type Part = string | Expression;

/** The fields a Vault-syntax template reads (Vault's database engine gives these two). */
const GO_FIELDS = ["DisplayName", "RoleName"] as const;

/**
 * What a Vault-syntax username may be made of: rendered text is checked against it, since its
 * literals (`printf` formats, `replace` arguments) are free text. Enough for every documented
 * function's output (base64's `+/=`, timestamps' `:`), and nothing that ends a quoted identifier
 * or string literal (`"`, `'`, `\`) or a statement (`;`, space).
 */
const SAFE_GO_USERNAME = /^[A-Za-z0-9_.@:+=\/-]*$/;


/** Whether `template` is written in Vault's (Go) syntax rather than vaultlet's earlier one. */
export function isGoTemplate(template: string): boolean {
  return (
    /\{\{-?\s*(\/\*|["`$])|\{\{-\s|\s-\}\}|[(.$]/.test(actionsOf(template)) ||
    /\b(printf|print|sha256|base64|decode_base64|hex|decode_hex|uuid|timestamp|unix_time_millis|glob)\b/.test(actionsOf(template))
  );
}

/**
 * The text inside `{{…}}` (with the braces), where the two syntaxes differ — without the contents
 * of double-quoted strings, so `replace "." "_"` in the earlier syntax is not taken for a field.
 * Found with `indexOf`, not a lazy `{{[\s\S]*?}}`, which is quadratic in a run of `{{`.
 */
function actionsOf(template: string): string {
  const actions: string[] = [];
  let position = 0;
  for (;;) {
    const open = template.indexOf("{{", position);
    const close = open === -1 ? -1 : template.indexOf("}}", open + 2);
    if (close === -1) break;
    actions.push(template.slice(open, close + 2));
    position = close + 2;
  }
  return blankQuotedStrings(actions.join(" "));
}

/**
 * Each double-quoted string (`\` escaping any character but a line break) becomes `""`: what
 * `.replace(/"(?:[^"\\]|\\.)*"/g, '""')` does, in one pass. A string that never closes stays as it
 * is; and since every start between its quote and where it failed would fail at the same place
 * (the escapes read the same from any of them), the scan resumes there, not one character on.
 */
function blankQuotedStrings(text: string): string {
  let out = "";
  let position = 0;
  while (position < text.length) {
    const quote = text.indexOf('"', position);
    if (quote === -1) break;
    out += text.slice(position, quote);
    let end = quote + 1;
    while (end < text.length && text[end] !== '"') {
      if (text[end] === "\\") {
        if (end + 1 >= text.length || "\n\r\u2028\u2029".includes(text[end + 1]!)) break;
        end += 2;
      } else {
        end++;
      }
    }
    if (end < text.length && text[end] === '"') {
      out += '""';
      position = end + 1;
    } else {
      out += text.slice(quote, Math.min(end, text.length));
      position = Math.min(end, text.length);
    }
  }
  return out + text.slice(position);
}

/** Renders with names, time and randomness, knowing which characters are random. */
type Renderer = (values: UsernameValues, env: FunctionEnvironment) => Text;

/** A parsed, validated username template. */
export class UsernameTemplate {
  readonly #renderer: Renderer;
  readonly #go: boolean;
  readonly #field: string;

  private constructor(renderer: Renderer, go: boolean, field: string) {
    this.#renderer = renderer;
    this.#go = go;
    this.#field = field;
  }

  /**
   * Parses and validates a template: at most 4,096 characters, known values and helpers with the
   * right arguments, safe literal text, and at least 8 random characters that survive to the
   * username, cut to `maxBytes`, even for display and role names of 64 characters — so that
   * generated names are unique. That is judged on a real render (see {@link render}).
   *
   * @throws InvalidRequestError naming the problem
   */
  static parse(template: string, maxBytes: number, field = "username_template"): UsernameTemplate {
    checkTemplateLength(template, field);
    const parsed = isGoTemplate(template)
      ? new UsernameTemplate(goRenderer(template, field), true, field)
      : new UsernameTemplate(legacyRenderer(template, field), false, field);
    parsed.render(CHECK_VALUES, maxBytes);
    return parsed;
  }

  /**
   * Renders a username, cut to `maxBytes`, and checks it kept at least 8 random characters: the
   * random draws that characters of the cut username are still copies of (a character that
   * `replace` could have changed, a hash or an encoding of random text does not count; see
   * `go-template/text.ts`). Checked on every render, since a long role name can push the random
   * part past the cut; refused then, never issued as a name anyone could predict.
   *
   * @throws InvalidRequestError when too few random characters survive, when a Vault-syntax
   * template renders characters a username may not hold, or a limit of the template is reached
   */
  render(values: UsernameValues, maxBytes: number): string {
    const name = truncateBytes(this.#renderer(values, realEnvironment(values.now)), maxBytes);
    if (this.#go && !SAFE_GO_USERNAME.test(name.text)) {
      throw new InvalidRequestError(`${this.#field} renders characters outside [A-Za-z0-9_.@:+=/-], which a database username here may not hold`);
    }
    const kept = countDraws(name);
    if (kept < MIN_RANDOM_CHARS) {
      throw new InvalidRequestError(
        `${this.#field}: needs {{random N}} with at least ${MIN_RANDOM_CHARS} characters within the first ${maxBytes} bytes, ` +
          `even for long display and role names (truncate them), so that every username is unique; ${kept} survive here ` +
          "(hashed or encoded random text does not count, nor any that a replace of letters or digits reaches)",
      );
    }
    return name.text;
  }
}

function goRenderer(template: string, field: string): Renderer {
  const parsed = GoTemplate.parse(template, GO_FIELDS, field);
  return ({ displayName, roleName }, env) =>
    parsed.render({ DisplayName: displayName.replace(UNSAFE_VALUE_CHARS, "-"), RoleName: roleName.replace(UNSAFE_VALUE_CHARS, "-") }, env);
}

function legacyRenderer(template: string, field: string): Renderer {
  const parts = parseParts(template, field);
  return (values, env) => {
    const budget = new RenderBudget(field);
    const name = joinTexts(parts.map((part) => (typeof part === "string" ? fixedText(part) : evaluate(part, values, env, budget, field))));
    checkValueLength(name.text.length, "the rendered template", field);
    return name;
  };
}

function parseParts(template: string, field: string): Part[] {
  return parseMustache(template, field).map(([type, text]) => {
    if (type === "text") {
      if (!SAFE_LITERAL.test(text)) throw new InvalidRequestError(`${field}: literal text may only use [A-Za-z0-9_.@:-], found ${quoteShort(text)}`);
      return text;
    }
    if (type !== "name" && type !== "&") throw new InvalidRequestError(`${field}: sections and partials are not supported`);
    return parseExpression(text, field);
  });
}

function parseExpression(text: string, field: string): Expression {
  const [head = "", ...pipeline] = text.split("|").map((segment) => segment.trim());
  const [value, ...valueArgs] = parseWords(head, field);
  if (!VALUE_NAMES.includes(value as ValueName)) {
    throw new InvalidRequestError(
      `${field}: unknown value ${quoteShort(String(value))}; known values are ${VALUE_NAMES.join(", ")}`,
    );
  }
  const expected = value === "random" ? 1 : 0;
  if (valueArgs.length !== expected || (expected === 1 && !isCount(valueArgs[0]))) {
    throw new InvalidRequestError(`${field}: ${value === "random" ? "random takes one length, e.g. {{random 20}}" : `${String(value)} takes no arguments`}`);
  }
  const steps = pipeline.map((segment) => parseStep(segment, field));
  // `replace` can map every random character to a fixed one (62 steps once made a template always
  // render `postgres`), so it never applies to `random`; truncation is caught by the render's count.
  if (value === "random" && steps.some((step) => step.helper === "replace")) {
    throw new InvalidRequestError(`${field}: replace cannot apply to {{random N}}: generated usernames must stay unique`);
  }
  return { value: value as ValueName, length: expected ? Number(valueArgs[0]) : 0, steps };
}

function parseStep(segment: string, field: string): Step {
  const [helper, ...args] = parseWords(segment, field);
  if (typeof helper !== "string" || !(helper in HELPER_ARITY)) {
    throw new InvalidRequestError(`${field}: unknown helper ${quoteShort(String(helper))}; known helpers are ${Object.keys(HELPER_ARITY).join(", ")}`);
  }
  const name = helper as HelperName;
  if (args.length !== HELPER_ARITY[name]) throw new InvalidRequestError(`${field}: ${name} takes ${HELPER_ARITY[name]} argument(s)`);
  if ((name === "truncate" || name === "truncate_sha256") && !isCount(args[0])) {
    throw new InvalidRequestError(`${field}: ${name} takes a positive length`);
  }
  if (name === "truncate_sha256" && Number(args[0]) <= 8) throw new InvalidRequestError(`${field}: truncate_sha256 needs a length over 8`);
  if (name === "replace" && (typeof args[0] !== "string" || typeof args[1] !== "string" || args[0] === "" || /[^A-Za-z0-9_.-]/.test(args[1]))) {
    throw new InvalidRequestError(`${field}: replace takes two quoted strings, the second made of [A-Za-z0-9_.-]`);
  }
  return { helper: name, args };
}

/** Splits `truncate 8` or `replace "a" "b"` into words; numbers become numbers. */
function parseWords(text: string, field: string): Argument[] {
  const words: Argument[] = [];
  const pattern = /\s*(?:"([^"]*)"|([^\s"]+))/y;
  let match: RegExpExecArray | null;
  let index = 0;
  while (index < text.length && (match = pattern.exec(text))) {
    index = pattern.lastIndex;
    if (match[1] !== undefined) words.push(match[1]);
    else words.push(/^\d+$/.test(match[2]!) ? Number(match[2]) : match[2]!);
  }
  if (text.slice(index).trim() !== "") throw new InvalidRequestError(`${field}: cannot read ${quoteShort(text)}`);
  return words;
}

function isCount(arg: Argument | undefined): boolean {
  return typeof arg === "number" && Number.isInteger(arg) && arg > 0 && arg <= 255;
}

function evaluate(expression: Expression, values: UsernameValues, env: FunctionEnvironment, budget: RenderBudget, field: string): Text {
  let text = baseValue(expression, values, env);
  for (const step of expression.steps) {
    budget.spend(text.text.length);
    text = applyHelper(step, text, field);
    checkValueLength(text.text.length, step.helper, field);
  }
  return text;
}

function baseValue({ value, length }: Expression, values: UsernameValues, env: FunctionEnvironment): Text {
  switch (value) {
    case "display_name":
      return fixedText(values.displayName.replace(UNSAFE_VALUE_CHARS, "-"));
    case "role_name":
      return fixedText(values.roleName.replace(UNSAFE_VALUE_CHARS, "-"));
    case "unix_time":
      return fixedText(String(Math.floor(values.now / 1000)));
    case "unix_time_ms":
      return fixedText(String(Math.floor(values.now)));
    case "random":
      return env.random(length);
  }
}

function applyHelper({ helper, args }: Step, text: Text, field: string): Text {
  switch (helper) {
    case "truncate":
      return sliceText(text, 0, Number(args[0]));
    case "truncate_sha256":
      return truncateWithHash(text, Number(args[0]));
    case "lowercase":
      return changeCase(text, false);
    case "uppercase":
      return changeCase(text, true);
    case "replace":
      return replaceAll(fixedText(String(args[0])), fixedText(String(args[1])), text, field);
  }
}

/** This syntax's `truncate_sha256`: a longer string keeps `length - 8` characters plus 8 hex digits of the hash of all of it. */
function truncateWithHash(text: Text, length: number): Text {
  if (text.text.length <= length) return text;
  return joinTexts([sliceText(text, 0, length - 8), fixedText(createHash("sha256").update(text.text).digest("hex").slice(0, 8))]);
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a character. */
function truncateBytes(text: Text, maxBytes: number): Text {
  let bytes = 0;
  let units = 0;
  for (const char of text.text) {
    bytes += Buffer.byteLength(char);
    if (bytes > maxBytes) break;
    units += char.length;
  }
  return sliceText(text, 0, units);
}
