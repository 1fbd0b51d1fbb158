/**
 * Response wrapping across two engines on separate pools over one PostgresStorage, against real
 * PostgreSQL: of parallel unwraps of one wrapping token, spread over both engines, exactly one gets
 * the credentials, over many rounds; the wrapped record is gone after; the credentials work.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine, ManualClock, PostgresStorage, type Client } from "../../src/index.js";
import { useTestDatabase } from "../support/database.js";
import { connectionConfigFor, openEngineFixture } from "../support/engine-fixture.js";
import { sealedForTest } from "../support/sealed-storage.js";

const db = useTestDatabase();
const TABLE = "wrapping_races";
const ROLE = "wrprace";

let a: Engine;
let b: Engine;
let rootA: Client;
let rootToken: string;

beforeAll(async () => {
  const clock = new ManualClock(Date.now());
  ({ engine: a, root: rootA, rootToken } = await openEngineFixture({
    database: db,
    storage: sealedForTest(new PostgresStorage({ connectionString: db.url, table: TABLE })),
    clock,
  }));
  await rootA.write("database/config/postgresql", connectionConfigFor(db, `readonly,${ROLE}`));
  await rootA.write(`database/roles/${ROLE}`, {
    db_name: "postgresql",
    creation_statements: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
    default_ttl: "1h",
  });
  b = await Engine.open({ storage: sealedForTest(new PostgresStorage({ connectionString: db.url, table: TABLE })), clock });
}, 60_000);

afterAll(async () => {
  await b?.close();
  await a?.close();
});

describe("unwrapping across two engines on one PostgresStorage", () => {
  it("lets exactly one of parallel unwraps win, first-party and third-party, on both engines", async () => {
    for (let round = 0; round < 5; round++) {
      const wrapped = await rootA.read(`database/creds/${ROLE}`, undefined, { wrapTtl: "5m" });
      const token = wrapped.wrap_info!.token;
      const attempts = [a, b, a, b, a, b].map((engine, index) =>
        index < 2 ? engine.client(token).write("sys/wrapping/unwrap") : engine.client(rootToken).write("sys/wrapping/unwrap", { token }),
      );
      const outcomes = await Promise.allSettled(attempts);
      const won = outcomes.filter((outcome): outcome is PromiseFulfilledResult<Awaited<(typeof attempts)[number]>> => outcome.status === "fulfilled");
      expect(won).toHaveLength(1);
      const { username, password } = won[0]!.value.data as { username: string; password: string };
      const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM vaultlet.${TABLE} WHERE key LIKE 'sys/wrapping/%'`);
      expect(rows[0]!.n).toBe("0");
      await expect(db.connectAs(username, password)).resolves.toBeTruthy();
    }
  });
});
