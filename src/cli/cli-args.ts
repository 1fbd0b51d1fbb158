/**
 * The `vaultlet` command line, parsed as Vault's CLI takes it: `-name=value`, `-name value` or
 * `--name=value` flags (booleans also bare: `-force`), anywhere before a `--`; everything else is
 * a positional argument. A flag the command does not know is a usage error (exit 2), never ignored.
 *
 * @module
 */

/** How a flag takes its value. */
export type FlagKind = "string" | "bool" | "list";

/** The flags one command accepts, by name (without dashes). */
export type FlagSpec = Readonly<Record<string, FlagKind>>;

/** What the command line said: flags by name, the rest in order. */
export interface ParsedArgs {
  /** String flags' last value, booleans' `true`/`false`, lists' every value. */
  readonly flags: Readonly<Record<string, string | boolean | string[]>>;
  /** Positional arguments, in order. */
  readonly args: readonly string[];
}

/** A command line that cannot be run as written: printed with the command's help, exit code 2. */
export class UsageError extends Error {
  /** @param message - what is wrong, in words for the operator */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const FLAG = /^--?([a-z][a-z0-9-]*)(?:=([\s\S]*))?$/;

/** Parses `argv` against `spec`. @throws UsageError for an unknown flag or a missing or bad value */
export function parseArgs(argv: readonly string[], spec: FlagSpec): ParsedArgs {
  const flags: Record<string, string | boolean | string[]> = {};
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    const match = FLAG.exec(word);
    if (!match) {
      args.push(word); // `-` (stdin), `key=value`, a path
      continue;
    }
    const [, name, inline] = match as unknown as [string, string, string | undefined];
    const kind = spec[name];
    if (!kind) throw new UsageError(`flag provided but not defined: -${name}`);
    if (kind === "bool") {
      flags[name] = parseBool(name, inline);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: -${name}`);
      value = argv[++i]!;
    }
    if (kind === "list") flags[name] = [...((flags[name] as string[] | undefined) ?? []), ...value.split(",").filter(Boolean)];
    else flags[name] = value;
  }
  return { flags, args };
}

function parseBool(name: string, value: string | undefined): boolean {
  if (value === undefined || value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new UsageError(`invalid boolean value ${JSON.stringify(value)} for -${name}: use true or false`);
}

/** A string flag's value, if given. */
export function stringFlag(parsed: ParsedArgs, name: string): string | undefined {
  const value = parsed.flags[name];
  return typeof value === "string" ? value : undefined;
}

/** A boolean flag's value (`false` when absent). */
export function boolFlag(parsed: ParsedArgs, name: string): boolean {
  return parsed.flags[name] === true;
}

/** A list flag's values (`[]` when absent). */
export function listFlag(parsed: ParsedArgs, name: string): string[] {
  const value = parsed.flags[name];
  return Array.isArray(value) ? value : [];
}

/** Exactly `count` positional arguments, named in the error. @throws UsageError otherwise */
export function positional(parsed: ParsedArgs, names: readonly string[]): string[] {
  if (parsed.args.length !== names.length) {
    const wanted = names.length === 0 ? "no arguments" : names.map((name) => name.toUpperCase()).join(" ");
    throw new UsageError(`expected ${wanted}, got ${parsed.args.length} argument${parsed.args.length === 1 ? "" : "s"}`);
  }
  return [...parsed.args];
}
