/**
 * The `vaultlet` CLI's commands, in Vault's shapes: `read`, `write`, `list`, `delete`,
 * `lease lookup|renew|revoke`, `token create|lookup|revoke`, `policy write|read|list|delete`,
 * `secrets enable|disable|list|tune` and `status`. Each is one or two requests through a
 * {@link Client} holding the operator's token, so policies decide exactly as for an application.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import type { Client } from "../client.js";
import type { Engine } from "../engine.js";
import { NotFoundError, UnsupportedPathError } from "../errors.js";
import type { RequestData, Response } from "../request.js";
import { UsageError, boolFlag, listFlag, positional, stringFlag, type FlagSpec, type ParsedArgs } from "./cli-args.js";
import type { CliIo, OutputFormat } from "./cli-environment.js";
import { cell, formatDuration, printKeys, printResponse, table } from "./cli-output.js";

/** What a command runs with. */
export interface CommandContext {
  readonly parsed: ParsedArgs;
  readonly io: CliIo;
  readonly format: OutputFormat;
  readonly engine: Engine;
  /** The operator's client (`undefined` only for commands that need no token). */
  readonly client: Client | undefined;
  /** Where the storage is, for messages (no password). */
  readonly storage: string;
  /** Whether stdin already gave the token (then a command cannot read data from it). */
  readonly stdinTaken: boolean;
}

/** One command. */
export interface Command {
  /** Its words, e.g. `"lease revoke"`. */
  readonly name: string;
  /** One line of usage. */
  readonly usage: string;
  /** Its own flags (besides the global ones). */
  readonly flags: FlagSpec;
  /** Whether it runs without a token (only `status`, which reads nothing a policy guards). */
  readonly tokenless?: boolean;
  /** Runs it; the exit code. */
  run(ctx: CommandContext): Promise<number>;
}

const client = (ctx: CommandContext): Client => ctx.client!;

/** Reads standard input for a value, unless the token came from it. */
async function stdinValue(ctx: CommandContext, what: string): Promise<string> {
  if (ctx.stdinTaken) throw new UsageError(`stdin already gave the token (-token-file=-): it cannot also give ${what}; use VAULTLET_TOKEN or a token file`);
  return ctx.io.stdin();
}

/** `key=value` arguments (`key=@file` reads a file, `key=-` stdin) or a lone `-`: a JSON object on stdin. */
async function dataArgs(ctx: CommandContext, words: readonly string[]): Promise<RequestData> {
  if (words.length === 1 && words[0] === "-") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await stdinValue(ctx, "the data"));
    } catch {
      throw new UsageError("stdin is not a JSON object");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new UsageError("stdin is not a JSON object");
    return parsed as RequestData;
  }
  const data: Record<string, unknown> = {};
  for (const word of words) {
    const at = word.indexOf("=");
    if (at <= 0) throw new UsageError(`invalid key/value pair ${JSON.stringify(word.split("=")[0])}: write key=value`);
    const key = word.slice(0, at);
    const raw = word.slice(at + 1);
    const value = raw === "-" ? (await stdinValue(ctx, key)).replace(/\r?\n$/, "") : raw.startsWith("@") ? await readDataFile(raw.slice(1)) : raw;
    // A repeated key becomes a list, as in Vault (policies=a policies=b).
    data[key] = key in data ? [...([] as unknown[]).concat(data[key]), value] : value;
  }
  return data;
}

async function readDataFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${path} (${String((err as { code?: unknown }).code ?? "error")})`);
  }
}

/** A path argument: no leading slash (Vault's CLI strips it too). */
const cleanPath = (path: string) => path.replace(/^\/+/, "");

/** The answer, or `undefined` for a 404 (which `read` and `list` report as Vault's "No value found"). */
async function orNotFound<T>(answer: Promise<T>): Promise<T | undefined> {
  try {
    return await answer;
  } catch (err) {
    if (err instanceof NotFoundError && !(err instanceof UnsupportedPathError)) return undefined; // a path nothing serves stays an error
    throw err;
  }
}

function notFound(ctx: CommandContext, path: string): number {
  ctx.io.err(`No value found at ${path}\n`);
  return 1;
}

const genericCommands: Command[] = [
  {
    name: "read",
    usage: "vaultlet read [flags] PATH [KEY=VALUE...]",
    flags: { field: "string" },
    async run(ctx) {
      const [path, ...rest] = ctx.parsed.args;
      if (!path) throw new UsageError("expected PATH");
      const response = await orNotFound(client(ctx).read(cleanPath(path), rest.length ? await dataArgs(ctx, rest) : undefined));
      if (!response?.data && !response?.auth) return notFound(ctx, path);
      return printField(ctx, response) ?? (printResponse(ctx.io, ctx.format, response, ""), 0);
    },
  },
  {
    name: "write",
    usage: "vaultlet write [flags] PATH [KEY=VALUE... | -]",
    flags: { field: "string" },
    async run(ctx) {
      const [path, ...rest] = ctx.parsed.args;
      if (!path) throw new UsageError("expected PATH");
      const response = await client(ctx).write(cleanPath(path), await dataArgs(ctx, rest));
      return printField(ctx, response) ?? (printResponse(ctx.io, ctx.format, response, `Success! Data written to: ${path}`), 0);
    },
  },
  {
    name: "list",
    usage: "vaultlet list [flags] PATH",
    flags: {},
    async run(ctx) {
      const [path] = positional(ctx.parsed, ["path"]);
      const response = await orNotFound(client(ctx).list(cleanPath(path!)));
      const keys = response?.data?.keys ?? [];
      if (keys.length === 0) return notFound(ctx, path!);
      printKeys(ctx.io, ctx.format, keys, response!.warnings);
      return 0;
    },
  },
  {
    name: "delete",
    usage: "vaultlet delete [flags] PATH [KEY=VALUE...]",
    flags: {},
    async run(ctx) {
      const [path, ...rest] = ctx.parsed.args;
      if (!path) throw new UsageError("expected PATH");
      const response = await client(ctx).delete(cleanPath(path), rest.length ? await dataArgs(ctx, rest) : undefined);
      printResponse(ctx.io, ctx.format, response, `Success! Data deleted (if it existed) at: ${path}`);
      return 0;
    },
  },
];

/** `-field=NAME`: prints that one value alone (no newline added in table format, as Vault). */
function printField(ctx: CommandContext, response: Response): number | undefined {
  const field = stringFlag(ctx.parsed, "field");
  if (field === undefined) return undefined;
  const auth = response.auth;
  const sources: Record<string, unknown> = {
    ...(auth ? { token: auth.client_token, token_accessor: auth.accessor, token_policies: auth.token_policies, policies: auth.policies } : {}),
    ...(response.lease_id ? { lease_id: response.lease_id, lease_duration: response.lease_duration, lease_renewable: response.renewable } : {}),
    ...(response.data ?? {}),
  };
  if (!(field in sources)) {
    ctx.io.err(`Field "${field}" not present in secret\n`);
    return 1;
  }
  const value = sources[field];
  ctx.io.out(ctx.format === "json" ? `${JSON.stringify(value)}\n` : typeof value === "string" ? value : cell(value));
  return 0;
}

const leaseCommands: Command[] = [
  {
    name: "lease lookup",
    usage: "vaultlet lease lookup [flags] LEASE_ID",
    flags: {},
    async run(ctx) {
      const [id] = positional(ctx.parsed, ["lease_id"]);
      printResponse(ctx.io, ctx.format, await client(ctx).write("sys/leases/lookup", { lease_id: id }), "");
      return 0;
    },
  },
  {
    name: "lease renew",
    usage: "vaultlet lease renew [-increment=DURATION] LEASE_ID",
    flags: { increment: "string" },
    async run(ctx) {
      const [id] = positional(ctx.parsed, ["lease_id"]);
      const increment = stringFlag(ctx.parsed, "increment");
      const response = await client(ctx).write("sys/leases/renew", { lease_id: id, ...(increment !== undefined ? { increment } : {}) });
      printResponse(ctx.io, ctx.format, response, `Success! Renewed lease: ${id}`);
      return 0;
    },
  },
  {
    name: "lease revoke",
    usage: "vaultlet lease revoke [-prefix] [-force] LEASE_ID|PREFIX",
    flags: { prefix: "bool", force: "bool", sync: "bool" },
    async run(ctx) {
      const [id] = positional(ctx.parsed, ["lease_id"]);
      const prefix = boolFlag(ctx.parsed, "prefix");
      const force = boolFlag(ctx.parsed, "force");
      if (force && !prefix) throw new UsageError("-force requires -prefix");
      if (ctx.parsed.flags.sync === false) {
        // A background revocation would be left to this process, which exits at once.
        throw new UsageError("-sync=false is not offered: the CLI waits for every revocation (a progress line shows on stderr)");
      }
      const path = force ? `sys/leases/revoke-force/${id}` : prefix ? `sys/leases/revoke-prefix/${id}` : "sys/leases/revoke";
      const response = await withProgress(ctx, id!, () => client(ctx).write(path, prefix ? {} : { lease_id: id }));
      const done = force ? `Success! Force revoked any leases with prefix: ${id}` : prefix ? `Success! Revoked any leases with prefix: ${id}` : `Success! Revoked lease: ${id}`;
      printResponse(ctx.io, ctx.format, response, done);
      return 0;
    },
  },
];

/** How often the progress line of a long revocation is printed (ms). */
const PROGRESS_EVERY_MS = 2_000;

/**
 * Runs a revocation, printing on stderr every {@link PROGRESS_EVERY_MS} how many leases this
 * process has revoked so far and how many failed, so that a revocation of thousands shows life.
 */
async function withProgress<T>(ctx: CommandContext, target: string, revoke: () => Promise<T>): Promise<T> {
  let revoked = 0;
  let failed = 0;
  const started = Date.now();
  const onRevoked = () => void revoked++;
  const onFailed = () => void failed++;
  ctx.engine.on("lease.revoked", onRevoked).on("lease.revoke_failed", onFailed);
  const timer = setInterval(() => {
    const seconds = Math.round((Date.now() - started) / 1000);
    ctx.io.err(`revoking ${target}: ${revoked} revoked, ${failed} failed so far (${seconds}s)\n`);
  }, PROGRESS_EVERY_MS);
  try {
    return await revoke();
  } finally {
    clearInterval(timer);
    ctx.engine.off("lease.revoked", onRevoked).off("lease.revoke_failed", onFailed);
  }
}

/** A token as an argument is a secret on the command line: only `-` (read from stdin) is taken. */
async function tokenArgument(ctx: CommandContext, word: string): Promise<string> {
  if (word !== "-") {
    throw new UsageError("a token on the command line is visible to every user of this machine: give - and the token on stdin, or use -accessor with its accessor");
  }
  const token = (await stdinValue(ctx, "a token")).trim();
  if (!token) throw new UsageError("no token on stdin");
  return token;
}

const tokenCommands: Command[] = [
  {
    name: "token create",
    usage: "vaultlet token create [-policy=NAME...] [-ttl=DURATION] [-explicit-max-ttl=DURATION] [-period=DURATION] [-display-name=NAME] [-orphan] [-renewable=BOOL] [-use-limit=N] [-role=NAME] [-metadata=K=V...] [-no-default-policy] [-field=NAME]",
    flags: {
      policy: "list",
      ttl: "string",
      "explicit-max-ttl": "string",
      period: "string",
      "display-name": "string",
      orphan: "bool",
      renewable: "bool",
      "use-limit": "string",
      role: "string",
      metadata: "list",
      "no-default-policy": "bool",
      field: "string",
    },
    async run(ctx) {
      positional(ctx.parsed, []);
      const p = ctx.parsed;
      const data: Record<string, unknown> = {};
      const policies = listFlag(p, "policy");
      if (policies.length) data.policies = policies;
      for (const [flag, field] of [["ttl", "ttl"], ["explicit-max-ttl", "explicit_max_ttl"], ["period", "period"], ["display-name", "display_name"]] as const) {
        const value = stringFlag(p, flag);
        if (value !== undefined) data[field] = value;
      }
      const uses = stringFlag(p, "use-limit");
      if (uses !== undefined) {
        if (!/^\d+$/.test(uses)) throw new UsageError("-use-limit must be a whole number");
        data.num_uses = Number(uses);
      }
      if (p.flags.renewable !== undefined) data.renewable = p.flags.renewable;
      if (boolFlag(p, "no-default-policy")) data.no_default_policy = true;
      const metadata = listFlag(p, "metadata");
      if (metadata.length) data.meta = Object.fromEntries(metadata.map((pair) => splitPair(pair, "-metadata")));
      const role = stringFlag(p, "role");
      const path = role !== undefined ? `auth/token/create/${role}` : boolFlag(p, "orphan") ? "auth/token/create-orphan" : "auth/token/create";
      const response = await client(ctx).write(path, data);
      return printField(ctx, response) ?? (printResponse(ctx.io, ctx.format, response, ""), 0);
    },
  },
  {
    name: "token lookup",
    usage: "vaultlet token lookup [-accessor ACCESSOR | -]   (no argument: the operator's own token)",
    flags: { accessor: "bool" },
    async run(ctx) {
      const words = ctx.parsed.args;
      if (words.length > 1) throw new UsageError("expected at most one argument");
      const accessor = boolFlag(ctx.parsed, "accessor");
      if (accessor && words.length !== 1) throw new UsageError("-accessor needs the ACCESSOR");
      const response =
        words.length === 0
          ? await client(ctx).read("auth/token/lookup-self")
          : accessor
            ? await client(ctx).write("auth/token/lookup-accessor", { accessor: words[0] })
            : await client(ctx).write("auth/token/lookup", { token: await tokenArgument(ctx, words[0]!) });
      printResponse(ctx.io, ctx.format, response, "");
      return 0;
    },
  },
  {
    name: "token revoke",
    usage: "vaultlet token revoke [-self | -accessor ACCESSOR | -] [-mode=orphan]",
    flags: { accessor: "bool", self: "bool", mode: "string" },
    async run(ctx) {
      const p = ctx.parsed;
      const mode = stringFlag(p, "mode") ?? "";
      if (mode !== "" && mode !== "orphan") throw new UsageError('-mode must be "orphan" (or absent)');
      const self = boolFlag(p, "self");
      const accessor = boolFlag(p, "accessor");
      if (self && (accessor || p.args.length)) throw new UsageError("-self takes no argument and no -accessor");
      if (!self && p.args.length !== 1) throw new UsageError("expected ACCESSOR with -accessor, - (the token on stdin), or -self");
      if (mode === "orphan" && (self || accessor)) throw new UsageError("-mode=orphan needs the token itself (-, on stdin)");
      const path = self ? "auth/token/revoke-self" : accessor ? "auth/token/revoke-accessor" : mode === "orphan" ? "auth/token/revoke-orphan" : "auth/token/revoke";
      const data = self ? {} : accessor ? { accessor: p.args[0] } : { token: await tokenArgument(ctx, p.args[0]!) };
      const response = await withProgress(ctx, "the token's leases", () => client(ctx).write(path, data));
      printResponse(ctx.io, ctx.format, { ...response, data: null }, "Success! Revoked token (if it existed)");
      return 0;
    },
  },
];

function splitPair(pair: string, flag: string): [string, string] {
  const at = pair.indexOf("=");
  if (at <= 0) throw new UsageError(`${flag} takes KEY=VALUE`);
  return [pair.slice(0, at), pair.slice(at + 1)];
}

const policyCommands: Command[] = [
  {
    name: "policy write",
    usage: "vaultlet policy write NAME FILE|-",
    flags: {},
    async run(ctx) {
      const [name, source] = positional(ctx.parsed, ["name", "file"]);
      const text = source === "-" ? await stdinValue(ctx, "the policy") : await readDataFile(source!);
      printResponse(ctx.io, ctx.format, await client(ctx).write(`sys/policies/acl/${name}`, { policy: text }), `Success! Uploaded policy: ${name}`);
      return 0;
    },
  },
  {
    name: "policy read",
    usage: "vaultlet policy read NAME",
    flags: {},
    async run(ctx) {
      const [name] = positional(ctx.parsed, ["name"]);
      const response = await client(ctx).read<{ policy?: string }>(`sys/policies/acl/${name}`);
      if (!response.data) return notFound(ctx, `sys/policies/acl/${name}`);
      if (ctx.format === "json") printResponse(ctx.io, ctx.format, response, "");
      else ctx.io.out(`${String(response.data.policy ?? "").replace(/\n?$/, "\n")}`);
      return 0;
    },
  },
  {
    name: "policy list",
    usage: "vaultlet policy list",
    flags: {},
    async run(ctx) {
      positional(ctx.parsed, []);
      const response = await client(ctx).list("sys/policies/acl");
      const keys = response.data?.keys ?? [];
      if (ctx.format === "json") ctx.io.out(`${JSON.stringify(keys, null, 2)}\n`);
      else ctx.io.out(keys.map((key) => `${key}\n`).join(""));
      return 0;
    },
  },
  {
    name: "policy delete",
    usage: "vaultlet policy delete NAME",
    flags: {},
    async run(ctx) {
      const [name] = positional(ctx.parsed, ["name"]);
      printResponse(ctx.io, ctx.format, await client(ctx).delete(`sys/policies/acl/${name}`), `Success! Deleted policy: ${name}`);
      return 0;
    },
  },
];

/** `-default-lease-ttl`, `-max-lease-ttl` as a mount's `config`. */
function mountConfig(p: ParsedArgs): Record<string, string> {
  const config: Record<string, string> = {};
  for (const [flag, field] of [["default-lease-ttl", "default_lease_ttl"], ["max-lease-ttl", "max_lease_ttl"]] as const) {
    const value = stringFlag(p, flag);
    if (value !== undefined) config[field] = value;
  }
  return config;
}

const mountPath = (path: string) => cleanPath(path).replace(/\/*$/, "/");

const secretsCommands: Command[] = [
  {
    name: "secrets enable",
    usage: "vaultlet secrets enable [-path=PATH] [-description=TEXT] [-default-lease-ttl=D] [-max-lease-ttl=D] TYPE",
    flags: { path: "string", description: "string", "default-lease-ttl": "string", "max-lease-ttl": "string" },
    async run(ctx) {
      const [type] = positional(ctx.parsed, ["type"]);
      const path = mountPath(stringFlag(ctx.parsed, "path") ?? type!);
      const description = stringFlag(ctx.parsed, "description");
      const config = mountConfig(ctx.parsed);
      const data = { type, ...(description !== undefined ? { description } : {}), ...(Object.keys(config).length ? { config } : {}) };
      printResponse(ctx.io, ctx.format, await client(ctx).write(`sys/mounts/${path}`, data), `Success! Enabled the ${type} secrets engine at: ${path}`);
      return 0;
    },
  },
  {
    name: "secrets disable",
    usage: "vaultlet secrets disable PATH",
    flags: {},
    async run(ctx) {
      const [path] = positional(ctx.parsed, ["path"]);
      const response = await withProgress(ctx, `the leases of ${mountPath(path!)}`, () => client(ctx).delete(`sys/mounts/${mountPath(path!)}`));
      printResponse(ctx.io, ctx.format, response, `Success! Disabled the secrets engine (if it existed) at: ${mountPath(path!)}`);
      return 0;
    },
  },
  {
    name: "secrets list",
    usage: "vaultlet secrets list [-detailed]",
    flags: { detailed: "bool" },
    async run(ctx) {
      positional(ctx.parsed, []);
      const response = await client(ctx).read<Record<string, { type: string; accessor: string; description: string; config: Record<string, unknown> }>>("sys/mounts");
      const mounts = response.data ?? {};
      if (ctx.format === "json") {
        ctx.io.out(`${JSON.stringify(mounts, null, 2)}\n`);
        return 0;
      }
      const detailed = boolFlag(ctx.parsed, "detailed");
      const header = detailed ? ["Path", "Type", "Accessor", "Default TTL", "Max TTL", "Description"] : ["Path", "Type", "Accessor", "Description"];
      const rows = Object.keys(mounts)
        .sort()
        .map((path) => {
          const mount = mounts[path]!;
          const ttl = (field: string) => (Number(mount.config[field] ?? 0) ? formatDuration(Number(mount.config[field])) : "system");
          return detailed
            ? [path, mount.type, mount.accessor, ttl("default_lease_ttl"), ttl("max_lease_ttl"), mount.description || "n/a"]
            : [path, mount.type, mount.accessor, mount.description || "n/a"];
        });
      ctx.io.out(table(header, rows));
      return 0;
    },
  },
  {
    name: "secrets tune",
    usage: "vaultlet secrets tune [-description=TEXT] [-default-lease-ttl=D] [-max-lease-ttl=D] PATH",
    flags: { description: "string", "default-lease-ttl": "string", "max-lease-ttl": "string" },
    async run(ctx) {
      const [path] = positional(ctx.parsed, ["path"]);
      const description = stringFlag(ctx.parsed, "description");
      const data = { ...mountConfig(ctx.parsed), ...(description !== undefined ? { description } : {}) };
      if (Object.keys(data).length === 0) throw new UsageError("nothing to tune: give -default-lease-ttl, -max-lease-ttl or -description");
      printResponse(ctx.io, ctx.format, await client(ctx).write(`sys/mounts/${mountPath(path!)}/tune`, data), `Success! Tuned the secrets engine at: ${mountPath(path!)}`);
      return 0;
    },
  },
];

const statusCommand: Command = {
  name: "status",
  usage: "vaultlet status",
  flags: {},
  tokenless: true,
  async run(ctx) {
    positional(ctx.parsed, []);
    const { engine } = ctx;
    const peers = await engine.peers();
    const status = {
      initialized: engine.initialized,
      sealed: false,
      storage: ctx.storage,
      change_feed: engine.changeFeed,
      engines: peers.filter((peer) => !peer.self).length,
    };
    if (ctx.format === "json") ctx.io.out(`${JSON.stringify(status, null, 2)}\n`);
    else
      ctx.io.out(
        table(
          ["Key", "Value"],
          [
            ["Initialized", String(status.initialized)],
            ["Sealed", "false"],
            ["Storage", status.storage],
            ["Change feed", status.change_feed],
            ["Other engines", peers.length ? String(status.engines) : "n/a (storage of one process)"],
          ],
        ),
      );
    return engine.initialized ? 0 : 1; // an engine that cannot serve: an error, for scripts
  },
};

/** Every command but `doctor` (see `doctor.ts`). */
export const COMMANDS: readonly Command[] = [...genericCommands, ...leaseCommands, ...tokenCommands, ...policyCommands, ...secretsCommands, statusCommand];
