/**
 * Two engines on separate pools (two `PostgresStorage({ connectionString })`) over one table share
 * their configuration within the propagation bound, through LISTEN/NOTIFY; with the listening
 * connections terminated, an engine re-reads before serving.
 */
import { expect, vi } from "vitest";
import { PostgresStorage } from "../../src/index.js";
import { useTestDatabase } from "../support/database.js";
import { sharedConfigCases } from "../support/shared-config-cases.js";
import { sealedForTest } from "../support/sealed-storage.js";

const db = useTestDatabase();
let tables = 0;

sharedConfigCases(
  "two engines on separate pools over one PostgreSQL table",
  async () => {
    const table = `shared_config_${++tables}`;
    const open = () => sealedForTest(new PostgresStorage({ connectionString: db.url, table }));
    return { a: open(), b: open(), another: open };
  },
  async () => {
    // Every listening connection of this database (A's and B's feeds) is cut, once both listen.
    const listening = `FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND (query LIKE 'LISTEN%' OR query LIKE 'NOTIFY%')`;
    await vi.waitFor(async () => expect(Number((await db.query<{ n: string }>(`SELECT count(*) AS n ${listening}`)).rows[0]!.n)).toBeGreaterThanOrEqual(2), {
      timeout: 2_000,
      interval: 20,
    });
    await db.query(`SELECT pg_terminate_backend(pid) ${listening}`);
  },
);
