/**
 * Two engines on separate pools (two `PostgresStorage({ connectionString })`) over one table share
 * their configuration within the propagation bound, through LISTEN/NOTIFY; with the listening
 * connections terminated, an engine re-reads before serving.
 */
import { PostgresStorage } from "../../src/index.js";
import { useTestDatabase } from "../support/database.js";
import { sharedConfigCases } from "../support/shared-config-cases.js";

const db = useTestDatabase();
let tables = 0;

sharedConfigCases(
  "two engines on separate pools over one PostgreSQL table",
  async () => {
    const table = `shared_config_${++tables}`;
    const open = () => new PostgresStorage({ connectionString: db.url, table });
    return { a: open(), b: open(), another: open };
  },
  async () => {
    // Every listening connection of this database (A's and B's feeds) is cut.
    const { rows } = await db.query<{ n: string }>(
      `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() AND (query LIKE 'LISTEN%' OR query LIKE 'NOTIFY%')`,
    );
    if (Number(rows[0]!.n) < 2) throw new Error(`expected both feeds' connections, terminated ${rows[0]!.n}`);
  },
);
