/**
 * The version matrix runs what it says: with VAULTLET_PG_VERSION set, the server is that major.
 */
import { expect, it } from "vitest";
import { useTestDatabase } from "../../support/database.js";

const db = useTestDatabase();

it.runIf(process.env.VAULTLET_PG_VERSION && !process.env.PG_URL)("runs on the requested PostgreSQL major", async () => {
  const { rows } = await db.query<{ v: number }>("SELECT current_setting('server_version_num')::int AS v");
  expect(Math.floor(rows[0]!.v / 10000)).toBe(Number(process.env.VAULTLET_PG_VERSION));
});
