/**
 * The credential pool suite under Drizzle's node-postgres driver (`drizzle({ client: pool })`).
 * Skipped, saying so, when the `drizzle-orm` devDependency is not installed.
 */
import { credentialPoolSuite } from "./credential-pool-suite.js";
import { optionalModule } from "./optional-module.js";

/** The slices of drizzle-orm the suite uses. */
interface DrizzleNodePostgres {
  drizzle: (config: { client: unknown }) => DrizzleDb;
}
interface DrizzleDb {
  execute(query: unknown): Promise<{ rows: Array<Record<string, unknown>> }>;
  transaction<T>(work: (tx: { execute(query: unknown): Promise<{ rows: Array<Record<string, unknown>> }> }) => Promise<T>): Promise<T>;
}
interface DrizzleCore {
  sql: { raw(text: string): unknown };
}

const driver = await optionalModule<DrizzleNodePostgres>("drizzle-orm/node-postgres");
const core = await optionalModule<DrizzleCore>("drizzle-orm");

credentialPoolSuite(
  "Drizzle (node-postgres driver)",
  async (pool) => {
    const db = driver.module!.drizzle({ client: pool });
    const { sql } = core.module!;
    return {
      query: async (text) => (await db.execute(sql.raw(text))).rows,
      transaction: (work) => db.transaction((tx) => work(async (text) => (await tx.execute(sql.raw(text))).rows)),
      end: () => pool.end(), // Drizzle leaves the pool to its owner
    };
  },
  driver.missing ?? core.missing,
);
