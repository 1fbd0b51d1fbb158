/**
 * `vaultlet doctor`: checks a deployment and says what is wrong in plain words — who can reach
 * the storage's records, whether the encryption key is there and opens them, whether the change
 * feed is alive, how far the engines' clocks are apart, and which leases wait for an unreachable
 * database or could not be revoked. Each check is `ok`, `warn` or `fail`; any `fail` exits 1.
 *
 * @module
 */
import { stat } from "node:fs/promises";
import type { Client } from "../client.js";
import type { Engine } from "../engine.js";
import { EncryptionError, StorageExposedError, UnencryptedStorageError, VaultletError } from "../errors.js";
import type { EnginePeer } from "../observability/engine-heartbeat.js";
import { HEARTBEAT_INTERVAL_MS } from "../observability/engine-heartbeat.js";
import type { Storage } from "../storage/storage.js";
import { boolFlag, positional, stringFlag, UsageError, type ParsedArgs } from "./cli-args.js";
import { encryptionKey, openEngine, operatorToken, outputFormat, type CliIo } from "./cli-environment.js";
import { table } from "./cli-output.js";

/** One finding. */
export interface DoctorCheck {
  /** What was checked. */
  readonly check: string;
  /** `ok`, something to look at (`warn`), or wrong (`fail`). */
  readonly status: "ok" | "warn" | "fail";
  /** What was found, and what to do, in words. */
  readonly message: string;
}

/** Clock skew worth a warning (ms): leases, claims and `VALID UNTIL` use each engine's own clock. */
export const SKEW_WARN_MS = 1_000;
/** Clock skew that is wrong (ms): a claim (5 min by default) or a short lease expires early or late by it. */
export const SKEW_FAIL_MS = 30_000;

/** The flags of `vaultlet doctor`. */
export const DOCTOR_FLAGS = { "skew-wait": "string" } as const;

/** Runs `vaultlet doctor`; the exit code. */
export async function runDoctor(parsed: ParsedArgs, io: CliIo): Promise<number> {
  positional(parsed, []);
  const format = outputFormat(parsed, io);
  const checks: DoctorCheck[] = [];
  const token = await operatorToken(parsed, io);
  if ((await encryptionKey(parsed, io)) === undefined && !boolFlag(parsed, "allow-unencrypted-storage")) {
    checks.push({
      check: "encryption key",
      status: "fail",
      message: "no encryption key: set VAULTLET_ENCRYPTION_KEY (base64 or hex of the 32 bytes the engines use) or give -encryption-key-file",
    });
    return report(io, format, checks);
  }
  let opened: { engine: Engine; storage: Storage; description: string };
  try {
    opened = await openEngine(parsed, io);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    checks.push(openFailure(err));
    return report(io, format, checks);
  }
  const { engine } = opened;
  try {
    checks.push({ check: "encryption key", status: "ok", message: engine.initialized ? "present, and it opens the records" : "present" });
    if (!engine.initialized) checks.push({ check: "storage", status: "warn", message: `${opened.description} holds no initialized engine: nothing else to check` });
    else await engineChecks(engine, opened.storage, parsed, io, token, checks);
  } finally {
    await engine.close();
  }
  return report(io, format, checks);
}

async function engineChecks(engine: Engine, storage: Storage, parsed: ParsedArgs, io: CliIo, token: string | undefined, checks: DoctorCheck[]): Promise<void> {
  checks.push(await privacyCheck(storage, parsed, io));
  checks.push(await feedCheck(engine));
  checks.push(...(await skewChecks(engine, parsed)));
  if (!token) {
    checks.push({ check: "leases", status: "warn", message: "not checked: no token (set VAULTLET_TOKEN or give -token-file; reading sys/leases needs sudo)" });
    return;
  }
  checks.push(...(await leaseChecks(engine.client(token))));
}

/** What an engine that did not open says about the deployment. */
function openFailure(err: unknown): DoctorCheck {
  if (err instanceof StorageExposedError) return { check: "storage privacy", status: "fail", message: `the storage refuses to open: ${err.message}` };
  if (err instanceof EncryptionError) {
    return { check: "encryption key", status: "fail", message: `the key does not open the records (${err.message}): it is not the key the engines use, or the records were altered` };
  }
  if (err instanceof UnencryptedStorageError) return { check: "encryption key", status: "fail", message: err.message };
  const message = err instanceof VaultletError || err instanceof Error ? err.message : String(err);
  return { check: "storage", status: "fail", message: `cannot open the storage: ${message}` };
}

/** Who reaches the records: `PostgresStorage`'s report, or a folder's mode. */
async function privacyCheck(storage: Storage, parsed: ParsedArgs, io: CliIo): Promise<DoctorCheck> {
  if (storage.recordsLocation) {
    const location = await storage.recordsLocation({ refresh: true });
    const holders = location.holders.map((holder) => `${holder.name} (${holder.reach === "privileges" ? "privileges" : holder.reach === "superuser" ? "superuser" : "server files"}${holder.connect ? "" : ", cannot connect"})`);
    return {
      check: "storage privacy",
      status: "ok",
      message: `${location.tables.join(", ")} in database ${location.database}: no PUBLIC access and no login role beyond the expected ones; roles that reach the records: ${holders.join(", ") || "none"}`,
    };
  }
  const folder = stringFlag(parsed, "storage") ?? io.env.VAULTLET_STORAGE ?? "";
  const mode = (await stat(folder)).mode & 0o777;
  return mode & 0o077
    ? { check: "storage privacy", status: "fail", message: `the folder ${folder} is open to other users (mode ${mode.toString(8)}): chmod 700 it` }
    : { check: "storage privacy", status: "ok", message: `the folder ${folder} is private (mode ${mode.toString(8)}); one process at a time uses it` };
}

/** Waits up to 5 s for this engine's feed to confirm it is current; reports the others' as their heartbeats say. */
async function feedCheck(engine: Engine): Promise<DoctorCheck> {
  for (let waited = 0; engine.changeFeed === "behind" && waited < 5_000; waited += 100) await delay(100);
  const own = engine.changeFeed;
  const behind = (await engine.peers()).filter((peer) => !peer.self && peer.changeFeed === "behind");
  if (own === "none") return { check: "change feed", status: "ok", message: "the storage has no change feed: one process uses it" };
  if (own === "behind") {
    return {
      check: "change feed",
      status: "fail",
      message: "this process's change feed did not confirm within 5 s: engines re-read configuration on every request (slow) and changes reach them late; check LISTEN/NOTIFY through any pooler",
    };
  }
  if (behind.length) {
    return { check: "change feed", status: "warn", message: `alive here, but ${behind.map(describePeer).join(", ")} reported a feed that is behind at its last heartbeat` };
  }
  return { check: "change feed", status: "ok", message: "alive: changes made through other engines arrive within the propagation bound" };
}

/**
 * Clock skew: watches the other engines' heartbeats for one interval and a half; the skew of one
 * is its clock's reading in a new heartbeat minus this machine's when the heartbeat was seen
 * (late by at most the polling step and a storage round trip, so the estimate errs toward "ahead").
 */
async function skewChecks(engine: Engine, parsed: ParsedArgs): Promise<DoctorCheck[]> {
  const first = (await engine.peers()).filter((peer) => !peer.self);
  if (first.length === 0) return [{ check: "clock skew", status: "ok", message: "no other engine is running on this storage (or it is a storage of one process)" }];
  const waitMs = parseWait(stringFlag(parsed, "skew-wait"));
  const last = new Map(first.map((peer) => [peer.id, peer.beats]));
  const skews = new Map<string, { peer: EnginePeer; skewMs: number }>();
  for (let waited = 0; waited < waitMs && skews.size < first.length; waited += 200) {
    await delay(200);
    const seenAt = Date.now();
    for (const peer of await engine.peers()) {
      if (peer.self || !last.has(peer.id) || skews.has(peer.id) || peer.beats === last.get(peer.id)) continue;
      skews.set(peer.id, { peer, skewMs: peer.heartbeatAt - seenAt });
    }
  }
  return first.map((peer) => {
    const found = skews.get(peer.id);
    if (!found) {
      const age = Math.round((Date.now() - peer.heartbeatAt) / 1000);
      return { check: "clock skew", status: "warn", message: `${describePeer(peer)} wrote no heartbeat in ${waitMs / 1000} s (its last one says ${age} s ago by this clock): it died, hangs, or cannot write to the storage` };
    }
    const skew = found.skewMs;
    const words = `${describePeer(peer)}'s clock is ${Math.abs(skew)} ms ${skew >= 0 ? "ahead of" : "behind"} this machine's`;
    if (Math.abs(skew) > SKEW_FAIL_MS) return { check: "clock skew", status: "fail", message: `${words}: leases and claims expire early or late by that much; run NTP` };
    if (Math.abs(skew) > SKEW_WARN_MS) return { check: "clock skew", status: "warn", message: `${words}: check NTP` };
    return { check: "clock skew", status: "ok", message: words };
  });
}

function parseWait(value: string | undefined): number {
  if (value === undefined) return HEARTBEAT_INTERVAL_MS + 2_000;
  const seconds = Number(value.replace(/s$/, ""));
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 120) throw new UsageError("-skew-wait takes seconds, 0 to 120");
  return seconds * 1000;
}

const describePeer = (peer: EnginePeer) => `engine ${peer.hostname} pid ${peer.pid}`;

interface OverdueLease {
  lease_id: string;
  mount_id: string;
  error: string;
  waiting_for_database?: boolean;
}

/** Leases that wait for an unreachable database, leases overdue otherwise, and irrevocable ones. */
async function leaseChecks(client: Client): Promise<DoctorCheck[]> {
  let overdue: OverdueLease[];
  let irrevocable: OverdueLease[];
  try {
    overdue = ((await client.read<{ leases: OverdueLease[] }>("sys/leases", { type: "overdue", limit: "none" })).data?.leases ?? []) as OverdueLease[];
    irrevocable = ((await client.read<{ leases: OverdueLease[] }>("sys/leases", { type: "irrevocable", limit: "none" })).data?.leases ?? []) as OverdueLease[];
  } catch (err) {
    return [{ check: "leases", status: "warn", message: `not checked: ${(err as Error).message} (reading sys/leases needs sudo on it)` }];
  }
  const waiting = overdue.filter((lease) => lease.waiting_for_database);
  const late = overdue.filter((lease) => !lease.waiting_for_database);
  const byMount = (leases: OverdueLease[]) => {
    const counts = new Map<string, number>();
    for (const lease of leases) counts.set(lease.mount_id || "(mount gone)", (counts.get(lease.mount_id || "(mount gone)") ?? 0) + 1);
    return [...counts].map(([mount, count]) => `${count} on mount ${mount}`).join(", ");
  };
  return [
    waiting.length
      ? {
          check: "leases waiting for a database",
          status: "warn",
          message: `${waiting.length} expired or revoked leases wait for a database that does not answer (${byMount(waiting)}): their users still exist there; they are revoked when it answers again`,
        }
      : { check: "leases waiting for a database", status: "ok", message: "none" },
    late.length
      ? { check: "overdue leases", status: "warn", message: `${late.length} leases are past their expiry or have a failed revocation being retried (${byMount(late)}); e.g. ${late[0]!.lease_id}: ${late[0]!.error || "not revoked yet"}` }
      : { check: "overdue leases", status: "ok", message: "none" },
    irrevocable.length
      ? {
          check: "irrevocable leases",
          status: "fail",
          message: `${irrevocable.length} leases could not be revoked after every retry (${byMount(irrevocable)}); their users may still exist: fix the database, then \`vaultlet lease revoke -prefix -force PREFIX\``,
        }
      : { check: "irrevocable leases", status: "ok", message: "none" },
  ];
}

function report(io: CliIo, format: "table" | "json", checks: DoctorCheck[]): number {
  if (format === "json") io.out(`${JSON.stringify(checks, null, 2)}\n`);
  else io.out(table(["Status", "Check", "Message"], checks.map((check) => [check.status.toUpperCase(), check.check, check.message])));
  return checks.some((check) => check.status === "fail") ? 1 : 0;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
