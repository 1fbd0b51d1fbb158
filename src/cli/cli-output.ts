/**
 * How the `vaultlet` CLI prints answers, in Vault's shapes: `-format=table` (the default) a
 * `Key  Value` table, lists one key a line, `Success! …` for answers without data, warnings on
 * stderr; `-format=json` the whole answer as JSON (a list as an array of keys).
 *
 * @module
 */
import type { Response } from "../request.js";
import type { CliIo, OutputFormat } from "./cli-environment.js";

/** Seconds as Vault prints durations: `768h`, `1h30m`, `45s`, `0s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return "0s";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s || (!h && !m) ? `${s}s` : ""}`;
}

/** One value as a table cell: scalars as they are, arrays as `[a b]`, objects as `map[k:v]`. */
export function cell(value: unknown): string {
  if (value === null || value === undefined) return "n/a";
  if (Array.isArray(value)) return `[${value.map(cell).join(" ")}]`;
  if (typeof value === "object") {
    return `map[${Object.entries(value as Record<string, unknown>)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, inner]) => `${key}:${cell(inner)}`)
      .join(" ")}]`;
  }
  return String(value);
}

/** Rows as aligned columns, the header underlined with dashes. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (row: readonly string[]) =>
    row
      .map((value, column) => (column === row.length - 1 ? value : value.padEnd(widths[column]!)))
      .join("    ")
      .trimEnd();
  return [line(header), line(header.map((title) => "-".repeat(title.length))), ...rows.map(line)].join("\n") + "\n";
}

/** The `Key Value` rows of an answer: lease, then auth, then data (sorted), as Vault prints them. */
export function responseRows(response: Response): string[][] {
  const rows: string[][] = [];
  if (response.lease_id) {
    rows.push(["lease_id", response.lease_id], ["lease_duration", formatDuration(response.lease_duration)], ["lease_renewable", String(response.renewable)]);
  }
  const auth = response.auth;
  if (auth) {
    rows.push(
      ["token", auth.client_token],
      ["token_accessor", auth.accessor],
      ["token_duration", auth.lease_duration ? formatDuration(auth.lease_duration) : "∞"],
      ["token_renewable", String(auth.renewable)],
      ["token_policies", cell(auth.token_policies)],
      ["policies", cell(auth.policies)],
    );
    for (const [key, value] of Object.entries(auth.metadata ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) rows.push([`token_meta_${key}`, value]);
  }
  const data = response.data ?? {};
  for (const key of Object.keys(data).sort()) rows.push([key, cell((data as Record<string, unknown>)[key])]);
  return rows;
}

/** Prints an answer's warnings on stderr, as Vault's CLI does before its output. */
export function printWarnings(io: CliIo, response: Pick<Response, "warnings">): void {
  if (!response.warnings?.length) return;
  io.err(`WARNING! The following warnings were returned from vaultlet:\n\n${response.warnings.map((warning) => `  * ${warning}`).join("\n\n")}\n\n`);
}

/**
 * Prints an answer: its table or its JSON; `success` when it has neither data nor auth (in table
 * format; JSON prints the answer regardless).
 */
export function printResponse(io: CliIo, format: OutputFormat, response: Response, success: string): void {
  if (format === "json") {
    io.out(`${JSON.stringify(response, null, 2)}\n`);
    return;
  }
  printWarnings(io, response);
  const rows = responseRows(response);
  if (rows.length === 0) io.out(`${success}\n`);
  else io.out(table(["Key", "Value"], rows));
}

/** Prints a list of keys: `Keys` and one a line, or a JSON array. */
export function printKeys(io: CliIo, format: OutputFormat, keys: readonly string[], warnings?: Response["warnings"]): void {
  if (format === "json") {
    io.out(`${JSON.stringify(keys, null, 2)}\n`);
    return;
  }
  if (warnings) printWarnings(io, { warnings });
  io.out(table(["Keys"], keys.map((key) => [key])));
}
