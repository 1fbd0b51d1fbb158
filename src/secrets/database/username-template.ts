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
 * @module
 */
import { createHash } from "node:crypto";
import Mustache from "mustache";
import { InvalidRequestError } from "../../errors.js";
import { ALPHANUMERIC, randomString } from "../../util/random.js";
import { GoTemplate, realEnvironment, type FunctionEnvironment } from "./go-template/go-template.js";

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

/** The fewest random characters that must survive truncation for usernames to stay unique. */
const MIN_RANDOM_CHARS = 8;

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
const SAFE_GO_USERNAME = /^[A-Za-z0-9_.@:+=\/\u0001-]*$/;

/** Stands for a random character in a probe render (one UTF-8 byte, never in a real username). */
const PROBE_CHAR = "\u0001";

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
 */
function actionsOf(template: string): string {
  return (template.match(/\{\{[\s\S]*?\}\}/g) ?? []).join(" ").replace(/"(?:[^"\\]|\\.)*"/g, '""');
}

/** Renders with names and time, and either real randomness or probe markers. */
type Renderer = (values: UsernameValues, probe: boolean) => string;

/** A parsed, validated username template. */
export class UsernameTemplate {
  readonly #renderer: Renderer;
  readonly #go: boolean;

  private constructor(renderer: Renderer, go: boolean) {
    this.#renderer = renderer;
    this.#go = go;
  }

  /**
   * Parses and validates a template: known values and helpers with the right arguments, safe
   * literal text, and a `{{random N}}` (N ≥ 8) that survives the cut to `maxBytes` even for
   * display and role names of 64 characters — so generated names are unique.
   *
   * @throws InvalidRequestError naming the problem
   */
  static parse(template: string, maxBytes: number, field = "username_template"): UsernameTemplate {
    const parsed = isGoTemplate(template)
      ? new UsernameTemplate(goRenderer(template, field), true)
      : new UsernameTemplate(legacyRenderer(template, field), false);
    const values = { displayName: "x".repeat(64), roleName: "x".repeat(64), now: Date.UTC(2100, 0) };
    const probe = parsed.#renderer(values, true);
    const marker = parsed.#go ? PROBE_CHAR : "#";
    const randomKept = [...truncateBytes(probe, maxBytes)].filter((c) => c === marker).length;
    if (randomKept < MIN_RANDOM_CHARS || parsed.#rendersAlike(maxBytes)) {
      throw new InvalidRequestError(
        `${field}: needs {{random N}} with at least ${MIN_RANDOM_CHARS} characters within the first ${maxBytes} bytes, ` +
          `even for long display and role names (truncate them), so that every username is unique`,
      );
    }
    if (parsed.#go) parsed.render(values, maxBytes);
    return parsed;
  }

  /**
   * Renders a username, cut to `maxBytes`.
   *
   * @throws InvalidRequestError when a Vault-syntax template renders characters a username may not hold
   */
  render(values: UsernameValues, maxBytes: number): string {
    const name = truncateBytes(this.#renderer(values, false), maxBytes);
    if (this.#go && (!SAFE_GO_USERNAME.test(name) || name.includes(PROBE_CHAR))) {
      throw new InvalidRequestError("username_template renders characters outside [A-Za-z0-9_.@:+=/-], which a database username here may not hold");
    }
    return name;
  }

  /**
   * Whether two renders with the same names and time but fresh random values give the same
   * username: a belt over the structural rule (no `replace` on `random`), since a fixed name is what
   * would make the engine create, and later revoke, a role it does not own.
   */
  #rendersAlike(maxBytes: number): boolean {
    const values = { displayName: "x".repeat(64), roleName: "x".repeat(64), now: Date.UTC(2100, 0) };
    return truncateBytes(this.#renderer(values, false), maxBytes) === truncateBytes(this.#renderer(values, false), maxBytes);
  }
}

function goRenderer(template: string, field: string): Renderer {
  const parsed = GoTemplate.parse(template, GO_FIELDS, field);
  const renderer: Renderer = ({ displayName, roleName, now }, probe) =>
    parsed.render(
      { DisplayName: displayName.replace(UNSAFE_VALUE_CHARS, "-"), RoleName: roleName.replace(UNSAFE_VALUE_CHARS, "-") },
      probe ? probeEnvironment(now) : realEnvironment(now),
    );
  return renderer;
}

function legacyRenderer(template: string, field: string): Renderer {
  const parts = parseParts(template, field);
  const renderer: Renderer = (values, probe) =>
    parts.map((part) => (typeof part === "string" ? part : evaluate(part, values, probe ? "#" : undefined))).join("");
  return renderer;
}

/** Random values as markers, so a probe render shows how many random characters survive. */
function probeEnvironment(now: number): FunctionEnvironment {
  return {
    now,
    random: (length) => PROBE_CHAR.repeat(length),
    uuid: () => [8, 4, 4, 4, 12].map((n) => PROBE_CHAR.repeat(n)).join("-"),
  };
}

function parseParts(template: string, field: string): Part[] {
  let tokens: [string, string][];
  try {
    tokens = Mustache.parse(template) as unknown as [string, string][];
  } catch (err) {
    throw new InvalidRequestError(`${field}: malformed template: ${(err as Error).message}`);
  }
  return tokens.map(([type, text]) => {
    if (type === "text") {
      if (!SAFE_LITERAL.test(text)) throw new InvalidRequestError(`${field}: literal text may only use [A-Za-z0-9_.@:-], found ${JSON.stringify(text)}`);
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
      `${field}: unknown value ${JSON.stringify(value)}; known values are ${VALUE_NAMES.join(", ")}`,
    );
  }
  const expected = value === "random" ? 1 : 0;
  if (valueArgs.length !== expected || (expected === 1 && !isCount(valueArgs[0]))) {
    throw new InvalidRequestError(`${field}: ${value === "random" ? "random takes one length, e.g. {{random 20}}" : `${String(value)} takes no arguments`}`);
  }
  const steps = pipeline.map((segment) => parseStep(segment, field));
  // `replace` can map every random character to a fixed one (62 steps once made a template always
  // render `postgres`), so it never applies to `random`; truncation is caught by the probe.
  if (value === "random" && steps.some((step) => step.helper === "replace")) {
    throw new InvalidRequestError(`${field}: replace cannot apply to {{random N}}: generated usernames must stay unique`);
  }
  return { value: value as ValueName, length: expected ? Number(valueArgs[0]) : 0, steps };
}

function parseStep(segment: string, field: string): Step {
  const [helper, ...args] = parseWords(segment, field);
  if (typeof helper !== "string" || !(helper in HELPER_ARITY)) {
    throw new InvalidRequestError(`${field}: unknown helper ${JSON.stringify(helper)}; known helpers are ${Object.keys(HELPER_ARITY).join(", ")}`);
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
  if (text.slice(index).trim() !== "") throw new InvalidRequestError(`${field}: cannot read ${JSON.stringify(text)}`);
  return words;
}

function isCount(arg: Argument | undefined): boolean {
  return typeof arg === "number" && Number.isInteger(arg) && arg > 0 && arg <= 255;
}

function evaluate(expression: Expression, values: UsernameValues, randomChar?: string): string {
  let text = baseValue(expression, values, randomChar);
  for (const step of expression.steps) text = applyHelper(step, text);
  return text;
}

function baseValue({ value, length }: Expression, values: UsernameValues, randomChar?: string): string {
  switch (value) {
    case "display_name":
      return values.displayName.replace(UNSAFE_VALUE_CHARS, "-");
    case "role_name":
      return values.roleName.replace(UNSAFE_VALUE_CHARS, "-");
    case "unix_time":
      return String(Math.floor(values.now / 1000));
    case "unix_time_ms":
      return String(Math.floor(values.now));
    case "random":
      return randomChar ? randomChar.repeat(length) : randomString(ALPHANUMERIC, length);
  }
}

function applyHelper({ helper, args }: Step, text: string): string {
  switch (helper) {
    case "truncate":
      return text.slice(0, Number(args[0]));
    case "truncate_sha256":
      return truncateWithHash(text, Number(args[0]));
    case "lowercase":
      return text.toLowerCase();
    case "uppercase":
      return text.toUpperCase();
    case "replace":
      return text.split(String(args[0])).join(String(args[1]));
  }
}

/** Vault's `truncate_sha256`: a longer string keeps `length - 8` characters plus 8 hex digits of its hash. */
function truncateWithHash(text: string, length: number): string {
  if (text.length <= length) return text;
  return text.slice(0, length - 8) + createHash("sha256").update(text).digest("hex").slice(0, 8);
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a character. */
function truncateBytes(text: string, maxBytes: number): string {
  let bytes = 0;
  let out = "";
  for (const char of text) {
    bytes += Buffer.byteLength(char);
    if (bytes > maxBytes) break;
    out += char;
  }
  return out;
}
