/**
 * @module
 */
import pg from "pg";
import { InvalidRequestError, StorageError } from "../../errors.js";
import type { ClaimRequest, PutOptions, Storage } from "../storage.js";
import type { QueryablePool } from "../../util/postgres-pool.js";

export type { QueryablePool } from "../../util/postgres-pool.js";

/** Options of {@link PostgresStorage}: a `connectionString` or the host's `pool`, and a table. */
export type PostgresStorageOptions = (
  | {
      /** A PostgreSQL URL; the storage opens (and closes) its own pool. */
      connectionString: string;
      /** Connections of the storage's own pool (default 4). */
      maxConnections?: number;
      pool?: undefined;
    }
  | {
      /** The host's pool; the storage never ends it. */
      pool: QueryablePool;
      connectionString?: undefined;
    }
) & {
  /** The table that holds the records, created if missing (default `vaultlet_storage`). */
  table?: string;
  /** The schema of the table (default: the connection's `search_path`). */
  schema?: string;
};

/** U+10FFFF sorts after every other character, so `[prefix, prefix + MAX_CHAR)` covers the prefix. */
const MAX_CHAR = "\u{10FFFF}";

/**
 * Storage in one table of the host's PostgreSQL database: the source of truth that several engine
 * processes can share.
 *
 * Rows are `(key, value, due_at, claim_owner, claim_until)`. Keys use the `"C"` collation so listing
 * is a range scan in byte order. `due_at` (indexed) lets {@link PostgresStorage.claimDue} find due
 * leases with `FOR UPDATE SKIP LOCKED`, so that of several engines on one database exactly one
 * revokes each expired lease, and a claim that runs out (its process died) is taken over.
 *
 * @example
 * ```ts
 * const storage = new PostgresStorage({ pool: hostPool, table: "vaultlet_storage" });
 * const engine = await Engine.open({ storage });
 * ```
 */
export class PostgresStorage implements Storage {
  readonly #pool: QueryablePool;
  readonly #ownPool: pg.Pool | undefined;
  readonly #table: string;
  #ready: Promise<void> | undefined;
  #closed = false;

  /** @param options - where the table lives */
  constructor(options: PostgresStorageOptions) {
    if (options?.pool) {
      this.#pool = options.pool;
    } else if (typeof options?.connectionString === "string" && options.connectionString.length > 0) {
      this.#ownPool = new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 4 });
      this.#ownPool.on("error", () => undefined); // an idle connection dropped by the server; the next query reconnects
      this.#pool = this.#ownPool;
    } else {
      throw new InvalidRequestError("PostgresStorage needs { connectionString } or { pool }");
    }
    this.#table = qualifiedTable(options.table ?? "vaultlet_storage", options.schema);
  }

  /** @inheritdoc */
  async get(key: string): Promise<Uint8Array | undefined> {
    const { rows } = await this.#query(`SELECT value FROM ${this.#table} WHERE key = $1`, [key], "reading a record");
    return rows.length === 0 ? undefined : new Uint8Array(rows[0].value as Buffer);
  }

  /** @inheritdoc */
  async getMany(keys: readonly string[]): Promise<Array<Uint8Array | undefined>> {
    if (keys.length === 0) return [];
    const { rows } = await this.#query(`SELECT key, value FROM ${this.#table} WHERE key = ANY($1::text[])`, [keys], "reading records");
    const found = new Map(rows.map((row) => [row.key as string, row.value as Buffer]));
    return keys.map((key) => {
      const value = found.get(key);
      return value === undefined ? undefined : new Uint8Array(value);
    });
  }

  /** @inheritdoc */
  async put(key: string, value: Uint8Array, options?: PutOptions): Promise<void> {
    const bytes = toBuffer(value);
    if (!options) {
      // No options: a plain write (or a re-encryption) keeps the record's due time and claim.
      await this.#query(
        `INSERT INTO ${this.#table} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
        [key, bytes],
        "writing a record",
      );
      return;
    }
    await this.#query(
      `INSERT INTO ${this.#table} (key, value, due_at, claim_owner, claim_until) VALUES ($1, $2, $3, NULL, NULL)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, due_at = EXCLUDED.due_at, claim_owner = NULL, claim_until = NULL`,
      [key, bytes, options.dueAt ?? null],
      "writing a record",
    );
  }

  /**
   * @inheritdoc
   * One statement each way, so the row lock decides between concurrent swaps: a second swap waits
   * for the first, then re-reads the row and finds its expected value gone.
   */
  async compareAndSwap(key: string, expected: Uint8Array | undefined, next: Uint8Array | undefined, options?: PutOptions): Promise<boolean> {
    const what = "swapping a record";
    const dueAt = options?.dueAt ?? null;
    if (expected === undefined) {
      if (next === undefined) return (await this.get(key)) === undefined;
      const { rowCount } = await this.#query(
        `INSERT INTO ${this.#table} (key, value, due_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`,
        [key, toBuffer(next), dueAt],
        what,
      );
      return rowCount === 1;
    }
    if (next === undefined) {
      const { rowCount } = await this.#query(`DELETE FROM ${this.#table} WHERE key = $1 AND value = $2`, [key, toBuffer(expected)], what);
      return rowCount === 1;
    }
    const { rowCount } = options
      ? await this.#query(
          `UPDATE ${this.#table} SET value = $3, due_at = $4, claim_owner = NULL, claim_until = NULL WHERE key = $1 AND value = $2`,
          [key, toBuffer(expected), toBuffer(next), dueAt],
          what,
        )
      : await this.#query(`UPDATE ${this.#table} SET value = $3 WHERE key = $1 AND value = $2`, [key, toBuffer(expected), toBuffer(next)], what);
    return rowCount === 1;
  }

  /** @inheritdoc */
  async delete(key: string): Promise<void> {
    await this.#query(`DELETE FROM ${this.#table} WHERE key = $1`, [key], "deleting a record");
  }

  /** @inheritdoc */
  async list(prefix: string): Promise<string[]> {
    const { rows } =
      prefix === ""
        ? await this.#query(`SELECT key FROM ${this.#table} ORDER BY key`, [], "listing records")
        : await this.#query(
            `SELECT key FROM ${this.#table} WHERE key >= $1 AND key < $2 ORDER BY key`,
            [prefix, prefix + MAX_CHAR],
            "listing records",
          );
    return rows.map((row) => row.key as string);
  }

  /** @inheritdoc */
  async claimDue(request: ClaimRequest): Promise<string[]> {
    const { rows } = await this.#query(
      `UPDATE ${this.#table} SET claim_owner = $4, claim_until = $2::bigint + $5::bigint
       WHERE key IN (
         SELECT key FROM ${this.#table}
         WHERE due_at <= $2 AND key >= $1 AND key < $6 AND (claim_until IS NULL OR claim_until <= $2)
         ORDER BY due_at LIMIT $3
         FOR UPDATE SKIP LOCKED)
       RETURNING key`,
      [request.prefix, request.now, request.limit, request.owner, request.claimMs, request.prefix + MAX_CHAR],
      "claiming due records",
    );
    return rows.map((row) => row.key as string);
  }

  /** Ends the storage's own pool; a host's pool is left open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ownPool?.end();
  }

  async #query(text: string, values: unknown[], what: string) {
    if (this.#closed) throw new StorageError(`${what} failed: the storage is closed`);
    await this.#prepare();
    try {
      return await this.#pool.query(text, values);
    } catch (err) {
      throw new StorageError(`${what} failed: ${reasonOf(err)}`, { cause: err });
    }
  }

  /** Creates the table and its index once; concurrent creators (other processes) are tolerated. */
  #prepare(): Promise<void> {
    this.#ready ??= this.#createTable().catch((err: unknown) => {
      this.#ready = undefined;
      throw new StorageError(`creating the storage table failed: ${reasonOf(err)}`, { cause: err });
    });
    return this.#ready;
  }

  /**
   * One simple-protocol query, so one transaction: the advisory lock makes processes that start
   * together create the table one after the other instead of colliding in the catalog.
   */
  async #createTable(): Promise<void> {
    const lockKey = pg.escapeLiteral(`vaultlet-storage:${this.#table}`);
    await this.#pool.query(
      `SELECT pg_advisory_xact_lock(hashtext(${lockKey}));
       CREATE TABLE IF NOT EXISTS ${this.#table} (
         key text COLLATE "C" PRIMARY KEY,
         value bytea NOT NULL,
         due_at bigint,
         claim_owner text,
         claim_until bigint);
       CREATE INDEX IF NOT EXISTS ${pg.escapeIdentifier(`${indexBase(this.#table)}_due_at`)} ON ${this.#table} (due_at) WHERE due_at IS NOT NULL;`,
    );
  }
}

function toBuffer(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function qualifiedTable(table: string, schema: string | undefined): string {
  for (const name of [table, schema]) {
    if (name !== undefined && (typeof name !== "string" || name.length === 0 || name.length > 63)) {
      throw new InvalidRequestError("PostgresStorage: table and schema must be names of 1 to 63 characters");
    }
  }
  return schema === undefined ? pg.escapeIdentifier(table) : `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)}`;
}

function indexBase(qualified: string): string {
  const table = qualified.slice(qualified.lastIndexOf('"', qualified.length - 2) + 1, -1).replace(/""/g, '"');
  return table.slice(0, 50);
}

/** A driver error reduced to its SQLSTATE or system code: driver messages may quote values. */
function reasonOf(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === "string") return `code ${code}`;
  return err instanceof StorageError ? err.message : "database error";
}
