/**
 * What every server the harness starts has in common: the superuser, the `postgres -c` settings
 * (password authentication with SCRAM-SHA-256, tuned for throwaway speed), its URL, and the small
 * helpers the strategies share.
 *
 * @module
 */
import { randomBytes } from "node:crypto";

/** The superuser of every server the harness starts. */
export const SUPERUSER = "postgres";

/** `postgres -c` settings shared by the embedded server and the container. */
export function serverSettings(opts: { listen: string; socketDir?: string }): string[] {
  const settings: Record<string, string> = {
    listen_addresses: opts.listen,
    password_encryption: "scram-sha-256",
    // A throwaway server: trade durability for speed.
    fsync: "off",
    synchronous_commit: "off",
    full_page_writes: "off",
    max_connections: "200",
    // A backend stuck in authentication (a client that gave up mid-handshake)
    // blocks DROP DATABASE until this expires; the default is 1 min.
    authentication_timeout: "10s",
  };
  if (opts.socketDir !== undefined) settings.unix_socket_directories = opts.socketDir;
  return Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
}

/** The superuser URL of a server, for the database `postgres`. */
export function serverUrl(host: string, port: number, password: string): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@${host}:${port}/postgres`;
}

/** Random lowercase alphanumerics (safe in identifiers, URLs and passwords). */
export function randomToken(length: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  let out = "";
  for (const b of randomBytes(length)) out += alphabet[b % 36];
  return out;
}

/** `promise`, or a rejection naming `what` after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** An error's message, or the value as text. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/** Whether `err` is a Node system error with this `code` (`ENOENT`, `EEXIST`, …). */
export function isErrno(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as NodeJS.ErrnoException).code === code;
}

/** `value`, or `undefined` when it is unset or blank. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
