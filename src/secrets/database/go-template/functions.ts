/**
 * Vault's username-template functions (the set of OpenBao's `sdk/helper/template`), plus Go's
 * `printf`/`print`, re-implemented with the same semantics.
 *
 * @module
 */
import { createHash, randomUUID } from "node:crypto";
import { InvalidRequestError } from "../../../errors.js";
import { ALPHANUMERIC, randomString } from "../../../util/random.js";
import { formatGoTime } from "./go-time-format.js";

/** A template value. */
export type Value = string | number | boolean;

/** What the functions draw on: the time, and random values (a probe replaces them with markers). */
export interface FunctionEnvironment {
  /** Now, ms since the epoch. */
  now: number;
  /** `length` random characters of `[A-Za-z0-9]`. */
  random(length: number): string;
  /** A random UUID. */
  uuid(): string;
}

/** The real environment: `node:crypto` randomness. */
export function realEnvironment(now: number): FunctionEnvironment {
  return { now, random: (length) => randomString(ALPHANUMERIC, length), uuid: () => randomUUID() };
}

type Parameter = "int" | "string" | "any";

interface TemplateFunction {
  /** Parameter types; `variadic` takes any number of `any` after them. */
  parameters: Parameter[];
  variadic?: boolean;
  call(args: Value[], env: FunctionEnvironment): Value;
}

const fail = (message: string): never => {
  throw new InvalidRequestError(`username_template: ${message}`);
};

const str = (fn: (s: string) => string): TemplateFunction => ({ parameters: ["string"], call: ([s]) => fn(s as string) });

/** The functions a template may call, by name. */
export const FUNCTIONS: ReadonlyMap<string, TemplateFunction> = new Map<string, TemplateFunction>([
  ["random", { parameters: ["int"], call: ([n], env) => (Number(n) > 0 ? env.random(Number(n)) : fail("random needs a length > 0")) }],
  ["truncate", { parameters: ["int", "string"], call: ([n, s]) => truncate(Number(n), s as string) }],
  ["truncate_sha256", { parameters: ["int", "string"], call: ([n, s]) => truncateSha256(Number(n), s as string) }],
  ["uppercase", str((s) => s.toUpperCase())],
  ["lowercase", str((s) => s.toLowerCase())],
  ["replace", { parameters: ["string", "string", "string"], call: ([find, by, s]) => (s as string).split(find as string).join(by as string) }],
  ["sha256", str((s) => createHash("sha256").update(s).digest("hex"))],
  ["base64", str((s) => Buffer.from(s).toString("base64"))],
  ["decode_base64", str((s) => Buffer.from(s, "base64").toString())],
  ["hex", str((s) => Buffer.from(s).toString("hex"))],
  ["decode_hex", str((s) => (/^([0-9a-fA-F]{2})*$/.test(s) ? Buffer.from(s, "hex").toString() : fail("decode_hex: not hex")))],
  ["unix_time", { parameters: [], call: (_args, env) => String(Math.floor(env.now / 1000)) }],
  ["unix_time_millis", { parameters: [], call: (_args, env) => String(Math.floor(env.now)) }],
  ["timestamp", { parameters: ["string"], call: ([layout], env) => formatGoTime(layout as string, env.now) }],
  ["uuid", { parameters: [], call: (_args, env) => env.uuid() }],
  ["glob", { parameters: ["string", "string"], call: ([pattern, value]) => globMatches(pattern as string, value as string) }],
  ["printf", { parameters: ["string"], variadic: true, call: ([format, ...args]) => printf(format as string, args) }],
  ["print", { parameters: [], variadic: true, call: (args) => print(args) }],
]);

/**
 * Calls function `name`, checking its arguments as Go would (an `int` parameter takes an integer,
 * a `string` one a string).
 */
export function callFunction(name: string, args: Value[], env: FunctionEnvironment): Value {
  const fn = FUNCTIONS.get(name) ?? fail(`unknown function ${JSON.stringify(name)}; known functions are ${[...FUNCTIONS.keys()].join(", ")}`);
  const fixed = fn.parameters.length;
  if (fn.variadic ? args.length < fixed : args.length !== fixed) {
    fail(`${name} takes ${fixed}${fn.variadic ? " or more" : ""} argument(s), got ${args.length}`);
  }
  fn.parameters.forEach((type, i) => {
    const arg = args[i]!;
    if (type === "int" && !(typeof arg === "number" && Number.isInteger(arg))) fail(`${name}: argument ${i + 1} must be an integer, got ${JSON.stringify(arg)}`);
    if (type === "string" && typeof arg !== "string") fail(`${name}: argument ${i + 1} must be a string, got ${JSON.stringify(arg)}`);
  });
  return fn.call(args, env);
}

function truncate(maxLength: number, text: string): string {
  if (maxLength <= 0) fail(`truncate: max length must be > 0 but was ${maxLength}`);
  return text.length > maxLength ? text.slice(0, maxLength) : text;
}

/** Vault's: a longer string keeps `maxLength - 8` characters plus 8 hex digits of the SHA-256 of the part cut off. */
function truncateSha256(maxLength: number, text: string): string {
  if (maxLength <= 8) fail(`truncate_sha256: max length must be > 8 but was ${maxLength}`);
  if (text.length <= maxLength) return text;
  const cut = maxLength - 8;
  return text.slice(0, cut) + createHash("sha256").update(text.slice(cut)).digest("hex").slice(0, 8);
}

/** `*` matches any run of characters (go-glob's rule). */
function globMatches(pattern: string, value: string): boolean {
  const escaped = pattern.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join("[\\s\\S]*")}$`).test(value);
}

/** Go's `fmt.Sprintf` for the verbs templates use: `%s`, `%v`, `%d`, `%q`-free, `%%`, with an optional width. */
function printf(format: string, args: Value[]): string {
  let next = 0;
  const out = format.replace(/%(-?)(\d*)([a-zA-Z%])/g, (_all, left: string, width: string, verb: string) => {
    if (verb === "%") return "%";
    if (!"svd".includes(verb)) fail(`printf: the %${verb} verb is not supported (use %s, %v or %d)`);
    if (next >= args.length) fail(`printf: missing an argument for %${verb}`);
    const arg = args[next++]!;
    if (verb === "d" && typeof arg !== "number") fail(`printf: %d needs an integer, got ${JSON.stringify(arg)}`);
    const text = String(arg);
    const size = Number(width || 0);
    return left ? text.padEnd(size) : text.padStart(size);
  });
  if (next < args.length) fail(`printf: ${args.length - next} argument(s) left over`);
  return out;
}

/** Go's `fmt.Sprint`: spaces between operands when neither is a string. */
function print(args: Value[]): string {
  let out = "";
  args.forEach((arg, i) => {
    if (i > 0 && typeof arg !== "string" && typeof args[i - 1] !== "string") out += " ";
    out += String(arg);
  });
  return out;
}
