/**
 * node-postgres, loaded on first use: `import("vaultlet")` never loads `pg`; opening a credential
 * pool does.
 *
 * @module
 */
import type pg from "pg";

/** The node-postgres module (its default export: `Pool`, `Client`, …). */
export type PgModule = typeof pg;

let loading: Promise<PgModule> | undefined;

/** Loads `pg` once; later calls share the first load. */
export function loadPg(): Promise<PgModule> {
  loading ??= import("pg").then((module) => (module as { default?: PgModule }).default ?? (module as unknown as PgModule));
  return loading;
}
