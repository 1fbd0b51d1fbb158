/**
 * Turning driver errors into messages that are safe to show.
 *
 * @module
 */
import { PluginError } from "../../../../errors.js";

const REDACTED = "[redacted]";

/**
 * Wraps a driver error in a {@link PluginError}: `operation` says what failed; the driver's message
 * follows with every known secret replaced by `[redacted]` (drivers echo SQL fragments, which can
 * hold a password). The raw error is not kept as `cause` — only its SQLSTATE code.
 */
export function pluginError(operation: string, err: unknown, secrets: readonly (string | undefined)[]): PluginError {
  const raw = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown })?.code;
  const message = redact(raw, secrets);
  return new PluginError(`${operation}: ${message}`, { cause: typeof code === "string" ? { code } : undefined });
}

/** Replaces each non-empty secret (and its URL-encoded form) in `text`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join(REDACTED);
  }
  return out;
}
