/** The credential pool suite under node-postgres itself: the pool is used directly. */
import { credentialPoolSuite } from "./credential-pool-suite.js";

credentialPoolSuite("node-postgres", async (pool) => ({
  query: async (sql) => (await pool.query(sql)).rows,
  async transaction(work) {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await work(async (sql) => (await client.query(sql)).rows);
      await client.query("COMMIT");
    } finally {
      client.release();
    }
  },
  end: () => pool.end(),
}));
