/**
 * The logger the host passes in: pino-shaped, so pino, a pino child, or a small adapter over any
 * other logger fits.
 *
 * @module
 */
import { VaultletError } from "../errors.js";

/**
 * A structured logger: each call gets an object of fields and an optional message, as pino's.
 * vaultlet never puts a secret (token, password, connection password) into either.
 *
 * @example
 * ```ts
 * import pino from "pino";
 * const engine = await Engine.open({ logger: pino({ name: "vaultlet" }) });
 * ```
 */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

/** The default logger: discards everything. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/**
 * Wraps a host logger so that a logger that throws can never break the engine.
 */
export function safeLogger(logger: Logger | undefined): Logger {
  if (!logger) return silentLogger;
  const guard =
    (level: keyof Logger) =>
    (fields: object, message?: string): void => {
      try {
        logger[level](fields, message);
      } catch {
        // A failing logger must not fail a revocation or a request.
      }
    };
  return { debug: guard("debug"), info: guard("info"), warn: guard("warn"), error: guard("error") };
}

/** A loggable, secret-free description of an error: vaultlet's own message, else only its type. */
export function describeError(error: unknown): string {
  if (error instanceof VaultletError) return error.message;
  if (error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string") return `${error.name} ${(error as NodeJS.ErrnoException).code}`;
  return error instanceof Error ? error.name : "unknown error";
}
