/**
 * The `vaultlet` command line: finds the command, parses its flags, reads the token, opens an
 * engine on the operator's storage, runs the command and closes the engine. Exit codes: 0 done,
 * 1 an error (refused, not found, storage down), 2 a usage error (the command line is wrong).
 *
 * @module
 */
import { Client } from "../client.js";
import { StorageError, VaultletError } from "../errors.js";
import { UsageError, parseArgs, type ParsedArgs } from "./cli-args.js";
import { COMMANDS, type Command } from "./cli-commands.js";
import { GLOBAL_FLAGS, openEngine, operatorToken, outputFormat, tokenFromStdin, type CliIo } from "./cli-environment.js";
import { DOCTOR_FLAGS, runDoctor } from "./doctor.js";

const DOCTOR: Omit<Command, "run"> = { name: "doctor", usage: "vaultlet doctor [-skew-wait=SECONDS]", flags: DOCTOR_FLAGS };

const GLOBAL_USAGE = `Global flags:
  -storage=URL|FOLDER        the engine's storage (or VAULTLET_STORAGE): postgres://… or a FileStorage folder
  -schema=NAME -table=NAME   PostgresStorage's schema and table (or VAULTLET_STORAGE_SCHEMA, VAULTLET_STORAGE_TABLE)
  -encryption-key-file=PATH  the 32-byte key as base64 or hex (or VAULTLET_ENCRYPTION_KEY, VAULTLET_ENCRYPTION_KEY_FILE)
  -encryption-key-id=ID      its id in the engines' keyring (or VAULTLET_ENCRYPTION_KEY_ID; default "default")
  -allow-unencrypted-storage for storage the engines opened with allowUnencryptedStorage
  -token-file=PATH|-         the token, from a file or stdin (or VAULTLET_TOKEN); never on the command line
  -format=table|json         output format (or VAULTLET_FORMAT)
`;

/** The help text: every command's usage and the global flags. */
export function helpText(): string {
  return `Usage: vaultlet <command> [flags] [args]\n\nCommands:\n${[...COMMANDS, DOCTOR].map((command) => `  ${command.usage}`).join("\n")}\n\n${GLOBAL_USAGE}`;
}

/** The command `argv` names, and the rest of it. */
function findCommand(argv: readonly string[]): { command: Command | "doctor"; rest: readonly string[] } {
  const [first, second] = argv;
  if (first === undefined) throw new UsageError("no command");
  if (first === "doctor") return { command: "doctor", rest: argv.slice(1) };
  const two = COMMANDS.find((command) => command.name === `${first} ${second}`);
  if (two) return { command: two, rest: argv.slice(2) };
  const one = COMMANDS.find((command) => command.name === first);
  if (one) return { command: one, rest: argv.slice(1) };
  const group = COMMANDS.filter((command) => command.name.startsWith(`${first} `));
  if (group.length) throw new UsageError(`${second === undefined ? "missing" : `unknown`} subcommand of ${first}: one of ${group.map((command) => command.name.split(" ")[1]).join(", ")}`);
  throw new UsageError(`unknown command ${JSON.stringify(first)}`);
}

/** Runs one command line; resolves to its exit code (never rejects). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.length === 0 || ["-h", "-help", "--help", "help"].includes(argv[0]!)) {
    (argv.length === 0 ? io.err : io.out)(helpText());
    return argv.length === 0 ? 2 : 0;
  }
  let usage = "";
  try {
    // Flags written before the command (`vaultlet -format=json read …`) count as the command's.
    const leading = argv.findIndex((word) => !word.startsWith("-"));
    const before = leading < 0 ? argv : argv.slice(0, leading);
    const found = findCommand(leading < 0 ? [] : argv.slice(leading));
    const command = found.command;
    const rest = [...before, ...found.rest];
    usage = command === "doctor" ? DOCTOR.usage : command.usage;
    if (rest.includes("-h") || rest.includes("-help") || rest.includes("--help")) {
      io.out(`Usage: ${usage}\n\n${GLOBAL_USAGE}`);
      return 0;
    }
    const parsed = parseArgs(rest, { ...GLOBAL_FLAGS, ...(command === "doctor" ? DOCTOR.flags : command.flags) });
    if (command === "doctor") return await runDoctor(parsed, io);
    return await runCommand(command, parsed, io);
  } catch (err) {
    return reportError(io, err, usage);
  }
}

async function runCommand(command: Command, parsed: ParsedArgs, io: CliIo): Promise<number> {
  const format = outputFormat(parsed, io);
  const token = await operatorToken(parsed, io);
  if (!token && !command.tokenless) {
    throw new UsageError("no token: set VAULTLET_TOKEN, or give -token-file=PATH or -token-file=- (stdin); policies apply to it as to any client");
  }
  const { engine, description } = await openEngine(parsed, io);
  try {
    const client = token ? new Client(engine, token) : undefined;
    return await command.run({ parsed, io, format, engine, client, storage: description, stdinTaken: tokenFromStdin(parsed) });
  } finally {
    await engine.close();
  }
}

/** Prints an error in words (never a stack, never a secret: engine errors hold none) and picks the exit code. */
function reportError(io: CliIo, err: unknown, usage: string): number {
  if (err instanceof UsageError) {
    io.err(`Usage error: ${err.message}\n${usage ? `\nUsage: ${usage}\n` : "\nRun vaultlet -help for the commands.\n"}`);
    return 2;
  }
  if (err instanceof StorageError && /in use by process/.test(err.message)) {
    io.err(`Error: ${err.message}\n\nA FileStorage folder serves one process at a time: stop the application first, or move it to PostgresStorage, which several processes share.\n`);
    return 1;
  }
  if (err instanceof VaultletError) {
    io.err(`Error: ${err.message}\n\nCode: ${err.status} (${err.code})\n`);
    return 1;
  }
  io.err(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}
