/**
 * Vault's username-template functions (the set of OpenBao's `sdk/helper/template`), plus Go's
 * `printf`/`print`, re-implemented with the same semantics — and bounded: every function checks
 * the length of its result (from its arguments, before building it) against the value limit, and
 * `random` and `printf` widths take at most {@link MAX_TEMPLATE_COUNT}.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { InvalidRequestError } from "../../../errors.js";
import type { FunctionEnvironment } from "./environment.js";
import { formatGoTime } from "./go-time-format.js";
import { globMatches } from "./glob.js";
import { checkValueLength, MAX_TEMPLATE_COUNT, quoteShort } from "./limits.js";
import { describe, print, printf, type Value } from "./printf.js";
import { replaceAll } from "./replace.js";
import { changeCase, fixedText, isText, joinTexts, sliceText, type Text } from "./text.js";

export type { Value } from "./printf.js";

/** What a function call sees besides its arguments. */
export interface CallContext {
  readonly env: FunctionEnvironment;
  /** The field the template came from, for error messages. */
  readonly field: string;
}

type Parameter = "int" | "string" | "any";

interface TemplateFunction {
  /** Parameter types; `variadic` takes any number of `any` after them. */
  parameters: Parameter[];
  variadic?: boolean;
  call(args: Value[], context: CallContext): Value;
}

const fail = (context: CallContext, message: string): never => {
  throw new InvalidRequestError(`${context.field}: ${message}`);
};

/** A function of one string; `grows` gives its result's length from the input's UTF-8 byte count, checked first. */
const ofText = (fn: (s: string) => string, grows?: (bytes: number) => number): TemplateFunction => ({
  parameters: ["string"],
  call: ([s], context) => {
    const text = (s as Text).text;
    if (grows) checkValueLength(grows(Buffer.byteLength(text)), "a function's result", context.field);
    return fixedText(fn(text));
  },
});

/** A function of one string that keeps random characters where it copies them. */
const keepingDraws = (fn: (s: Text) => Text): TemplateFunction => ({ parameters: ["string"], call: ([s]) => fn(s as Text) });

/** The functions a template may call, by name. */
export const FUNCTIONS: ReadonlyMap<string, TemplateFunction> = new Map<string, TemplateFunction>([
  ["random", { parameters: ["int"], call: ([n], context) => random(n as number, context) }],
  ["truncate", { parameters: ["int", "string"], call: ([n, s], context) => truncate(n as number, s as Text, context) }],
  ["truncate_sha256", { parameters: ["int", "string"], call: ([n, s], context) => truncateSha256(n as number, s as Text, context) }],
  // Case changes at most triple a length (`ΐ` → three units); the result is checked after.
  ["uppercase", keepingDraws((s) => changeCase(s, true))],
  ["lowercase", keepingDraws((s) => changeCase(s, false))],
  ["replace", { parameters: ["string", "string", "string"], call: ([find, by, s], context) => replaceAll(find as Text, by as Text, s as Text, context.field) }],
  ["sha256", ofText((s) => createHash("sha256").update(s).digest("hex"))],
  ["base64", ofText((s) => Buffer.from(s).toString("base64"), (bytes) => Math.ceil(bytes / 3) * 4)],
  ["decode_base64", ofText((s) => Buffer.from(s, "base64").toString())],
  ["hex", ofText((s) => Buffer.from(s).toString("hex"), (bytes) => bytes * 2)],
  ["decode_hex", { parameters: ["string"], call: ([s], context) => decodeHex((s as Text).text, context) }],
  ["unix_time", { parameters: [], call: (_args, { env }) => fixedText(String(Math.floor(env.now / 1000))) }],
  ["unix_time_millis", { parameters: [], call: (_args, { env }) => fixedText(String(Math.floor(env.now))) }],
  // A layout element renders at most twice its length (`1` → `12`).
  ["timestamp", { parameters: ["string"], call: ([layout], { env }) => fixedText(formatGoTime((layout as Text).text, env.now)) }],
  ["uuid", { parameters: [], call: (_args, { env }) => env.uuid() }],
  ["glob", { parameters: ["string", "string"], call: ([pattern, value]) => globMatches((pattern as Text).text, (value as Text).text) }],
  ["printf", { parameters: ["string"], variadic: true, call: ([format, ...args], context) => printf((format as Text).text, args, context.field) }],
  ["print", { parameters: [], variadic: true, call: (args, context) => print(args, context.field) }],
]);

/**
 * Calls function `name`, checking its arguments as Go would (an `int` parameter takes an integer,
 * a `string` one a string), and its result against the value limit.
 *
 * @throws InvalidRequestError naming the problem
 */
export function callFunction(name: string, args: Value[], context: CallContext): Value {
  const fn = FUNCTIONS.get(name) ?? fail(context, `unknown function ${quoteShort(name)}; known functions are ${[...FUNCTIONS.keys()].join(", ")}`);
  const fixed = fn.parameters.length;
  if (fn.variadic ? args.length < fixed : args.length !== fixed) {
    fail(context, `${name} takes ${fixed}${fn.variadic ? " or more" : ""} argument(s), got ${args.length}`);
  }
  fn.parameters.forEach((type, i) => {
    const arg = args[i]!;
    if (type === "int" && !(typeof arg === "number" && Number.isInteger(arg))) fail(context, `${name}: argument ${i + 1} must be an integer, got ${describe(arg)}`);
    if (type === "string" && !isText(arg)) fail(context, `${name}: argument ${i + 1} must be a string, got ${describe(arg)}`);
  });
  const result = fn.call(args, context);
  if (isText(result)) checkValueLength(result.text.length, name, context.field);
  return result;
}

function random(length: number, context: CallContext): Text {
  if (length < 1 || length > MAX_TEMPLATE_COUNT) fail(context, `random takes a length from 1 to ${MAX_TEMPLATE_COUNT}, got ${length}`);
  return context.env.random(length);
}

function truncate(maxLength: number, text: Text, context: CallContext): Text {
  if (maxLength <= 0) fail(context, `truncate: max length must be > 0 but was ${maxLength}`);
  return text.text.length > maxLength ? sliceText(text, 0, maxLength) : text;
}

/** Vault's: a longer string keeps `maxLength - 8` characters plus 8 hex digits of the SHA-256 of the part cut off. */
function truncateSha256(maxLength: number, text: Text, context: CallContext): Text {
  if (maxLength <= 8) fail(context, `truncate_sha256: max length must be > 8 but was ${maxLength}`);
  if (text.text.length <= maxLength) return text;
  const cut = maxLength - 8;
  // The hash digits are derived from the random characters cut off, not copies of them.
  return joinTexts([sliceText(text, 0, cut), fixedText(createHash("sha256").update(text.text.slice(cut)).digest("hex").slice(0, 8))]);
}

function decodeHex(text: string, context: CallContext): Text {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) fail(context, "decode_hex: not hex");
  return fixedText(Buffer.from(text, "hex").toString());
}
