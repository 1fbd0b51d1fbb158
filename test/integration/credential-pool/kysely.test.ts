/**
 * The credential pool suite under Kysely's PostgresDialect (the pool handed over as `pool`).
 * Skipped, saying so, when the `kysely` devDependency is not installed.
 */
import { credentialPoolSuite } from "./credential-pool-suite.js";
import { optionalModule } from "./optional-module.js";

/** The slice of Kysely the suite uses. */
interface KyselyModule {
  Kysely: new (config: { dialect: unknown }) => KyselyDb;
  PostgresDialect: new (config: { pool: unknown }) => unknown;
  sql: { raw(text: string): { execute(db: unknown): Promise<{ rows: Array<Record<string, unknown>> }> } };
}
interface KyselyDb {
  transaction(): { execute<T>(work: (trx: unknown) => Promise<T>): Promise<T> };
  destroy(): Promise<void>;
}

const kysely = await optionalModule<KyselyModule>("kysely");

credentialPoolSuite(
  "Kysely (PostgresDialect)",
  async (pool) => {
    const { Kysely, PostgresDialect, sql } = kysely.module!;
    const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
    const run = async (on: unknown, text: string) => (await sql.raw(text).execute(on)).rows;
    return {
      query: (text) => run(db, text),
      transaction: (work) => db.transaction().execute((trx) => work((text) => run(trx, text))),
      end: () => db.destroy(), // Kysely ends the pool it was given
    };
  },
  kysely.missing,
);
