/**
 * Where the `vaultlet` CLI finds what it works with: the storage (`-storage` or
 * `VAULTLET_STORAGE`: a `postgres://` URL or a folder), the encryption key
 * (`VAULTLET_ENCRYPTION_KEY`, or a file), and the token (`VAULTLET_TOKEN`, `-token-file=PATH` or
 * `-token-file=-` for stdin). A token is never taken from the command line: every user of the
 * machine sees it there (`ps`, shell history), so `-token=` is refused.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { Engine } from "../engine.js";
import { FileStorage } from "../storage/file/file-storage.js";
import { PostgresStorage } from "../storage/postgres/postgres-storage.js";
import type { Storage } from "../storage/storage.js";
import type { Keyring } from "../storage/encrypted-storage.js";
import { UsageError, boolFlag, stringFlag, type FlagSpec, type ParsedArgs } from "./cli-args.js";

/** The flags every command takes. */
export const GLOBAL_FLAGS: FlagSpec = {
  format: "string",
  storage: "string",
  schema: "string",
  table: "string",
  "encryption-key-file": "string",
  "encryption-key-id": "string",
  "allow-unencrypted-storage": "bool",
  "token-file": "string",
  token: "string",
};

/** What a command reads and writes: the process's streams and environment, or a test's. */
export interface CliIo {
  /** Writes to standard output. */
  out(text: string): void;
  /** Writes to standard error. */
  err(text: string): void;
  /** All of standard input (read once, at most 1 MiB). */
  stdin(): Promise<string>;
  /** The environment variables. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Output formats of `-format` (or `VAULTLET_FORMAT`). */
export type OutputFormat = "table" | "json";

/** The output format asked for. @throws UsageError for another one */
export function outputFormat(parsed: ParsedArgs, io: CliIo): OutputFormat {
  const format = (stringFlag(parsed, "format") ?? io.env.VAULTLET_FORMAT ?? "table").toLowerCase();
  if (format !== "table" && format !== "json") throw new UsageError(`invalid format ${JSON.stringify(format)}: use table or json`);
  return format;
}

/** The storage named by `-storage` or `VAULTLET_STORAGE`. @throws UsageError when neither is given */
export function openStorage(parsed: ParsedArgs, io: CliIo): { storage: Storage; description: string } {
  const location = stringFlag(parsed, "storage") ?? io.env.VAULTLET_STORAGE;
  if (!location) throw new UsageError("no storage: set VAULTLET_STORAGE (a postgres:// URL or a folder) or give -storage");
  const schema = stringFlag(parsed, "schema") ?? io.env.VAULTLET_STORAGE_SCHEMA;
  const table = stringFlag(parsed, "table") ?? io.env.VAULTLET_STORAGE_TABLE;
  if (/^postgres(ql)?:\/\//i.test(location)) {
    // The CLI runs for seconds: no periodic exposure check (the one at open stays), one connection or two.
    const storage = new PostgresStorage({ connectionString: location, maxConnections: 2, exposureCheckIntervalMs: 0, schema, table });
    return { storage, description: `PostgreSQL ${withoutPassword(location)}` };
  }
  if (schema !== undefined || table !== undefined) throw new UsageError("-schema and -table apply to PostgreSQL storage only");
  return { storage: new FileStorage({ path: location }), description: `folder ${location}` };
}

/** The URL with its password (and query, which may carry one) removed, for messages. */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    parsed.search = "";
    return parsed.toString();
  } catch {
    return "postgres://…";
  }
}

/**
 * The encryption key: base64 (44 characters) or hex (64) of 32 bytes, from `VAULTLET_ENCRYPTION_KEY`
 * or the file `-encryption-key-file` (or `VAULTLET_ENCRYPTION_KEY_FILE`) names. `undefined` when
 * none is given. Its key id is `-encryption-key-id` (or `VAULTLET_ENCRYPTION_KEY_ID`), default
 * `"default"`, the id of a bare key given to `Engine.open`.
 *
 * @throws UsageError for a malformed key (the message never holds the key)
 */
export async function encryptionKey(parsed: ParsedArgs, io: CliIo): Promise<Keyring | undefined> {
  const file = stringFlag(parsed, "encryption-key-file") ?? io.env.VAULTLET_ENCRYPTION_KEY_FILE;
  const text = file !== undefined ? await readSecretFile(file, "encryption key") : io.env.VAULTLET_ENCRYPTION_KEY;
  if (text === undefined || text.trim() === "") return undefined;
  const value = text.trim();
  const bytes = /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, "hex") : /^[A-Za-z0-9+/_-]+={0,2}$/.test(value) ? Buffer.from(value, "base64") : undefined;
  if (!bytes || bytes.length !== 32) throw new UsageError("the encryption key must be 32 bytes, as base64 (44 characters) or hex (64 characters)");
  // The key id the engines' keyring gives it: a bare key passed to Engine.open is "default".
  const keyId = stringFlag(parsed, "encryption-key-id") ?? io.env.VAULTLET_ENCRYPTION_KEY_ID ?? "default";
  return { activeKeyId: keyId, keys: { [keyId]: new Uint8Array(bytes) } };
}

/** Opens the engine on the storage. Revokes only what it is asked to (see `RevocationOptions.revokeDue`). */
export async function openEngine(parsed: ParsedArgs, io: CliIo): Promise<{ engine: Engine; storage: Storage; description: string }> {
  const key = await encryptionKey(parsed, io);
  const { storage, description } = openStorage(parsed, io);
  const allowUnencryptedStorage = boolFlag(parsed, "allow-unencrypted-storage") || undefined;
  try {
    const engine = await Engine.open({ storage, encryptionKey: key, allowUnencryptedStorage, revocation: { revokeDue: false } });
    return { engine, storage, description };
  } catch (err) {
    await storage.close?.().catch(() => undefined);
    throw err;
  }
}

/**
 * The token the operator gave: `-token-file` (a path, or `-` for stdin), else `VAULTLET_TOKEN`.
 * `undefined` when there is none.
 *
 * @throws UsageError for `-token=` (a token on the command line), or an empty token file
 */
export async function operatorToken(parsed: ParsedArgs, io: CliIo): Promise<string | undefined> {
  if (parsed.flags.token !== undefined) {
    throw new UsageError(
      "-token is refused: a token on the command line is visible to every user of this machine (ps, shell history); " +
        "set VAULTLET_TOKEN, or give -token-file=PATH or -token-file=- (stdin)",
    );
  }
  const file = stringFlag(parsed, "token-file");
  if (file !== undefined) {
    const token = (file === "-" ? await io.stdin() : await readSecretFile(file, "token")).trim();
    if (!token) throw new UsageError(file === "-" ? "no token on stdin" : `the token file ${file} is empty`);
    return token;
  }
  const token = io.env.VAULTLET_TOKEN?.trim();
  return token ? token : undefined;
}

/** Whether the token comes from stdin (then nothing else may). */
export function tokenFromStdin(parsed: ParsedArgs): boolean {
  return stringFlag(parsed, "token-file") === "-";
}

async function readSecretFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read the ${what} file ${path} (${String((err as { code?: unknown }).code ?? "error")})`);
  }
}
