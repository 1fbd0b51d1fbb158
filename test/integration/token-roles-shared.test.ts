/**
 * Token roles on one PostgresStorage shared by two engines on separate pools (issue 12, item 2):
 * storage is their only home, so a role written, changed or deleted through one engine governs the
 * next creation on the other, and parallel updates through both merge by compare-and-swap.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine, ManualClock, PostgresStorage, type Client } from "../../src/index.js";
import { useTestDatabase } from "../support/database.js";
import { sealedForTest } from "../support/sealed-storage.js";

const db = useTestDatabase();
const TABLE = "token_roles_shared";

let a: Engine;
let b: Engine;
let rootA: Client;
let rootB: Client;

beforeAll(async () => {
  const clock = new ManualClock(Date.now());
  a = await Engine.open({ storage: sealedForTest(new PostgresStorage({ connectionString: db.url, table: TABLE })), clock });
  const { rootToken } = await a.initialize();
  b = await Engine.open({ storage: sealedForTest(new PostgresStorage({ connectionString: db.url, table: TABLE })), clock });
  rootA = a.client(rootToken);
  rootB = b.client(rootToken);
  for (const name of ["apps", "ops"]) await rootA.write(`sys/policy/${name}`, { policy: `path "${name}/*" { capabilities = ["read"] }` });
}, 60_000);

afterAll(async () => {
  await b?.close();
  await a?.close();
});

describe("token roles across two engines on one PostgresStorage", () => {
  it("a role written, changed and deleted on one engine governs creation on the other at once", async () => {
    await rootA.write("auth/token/roles/shared", { allowed_policies: "apps" });
    expect((await rootB.write("auth/token/create/shared", {})).auth!.policies).toEqual(["apps", "default"]);
    await rootB.write("auth/token/roles/shared", { allowed_policies: "ops" });
    expect((await rootA.write("auth/token/create/shared", {})).auth!.policies).toEqual(["default", "ops"]);
    await rootA.delete("auth/token/roles/shared");
    await expect(rootB.write("auth/token/create/shared", {})).rejects.toThrow(/unknown role shared/);
  });

  it("parallel updates of one role through both engines keep every field", async () => {
    await rootA.write("auth/token/roles/merged", {});
    await Promise.all([
      rootA.write("auth/token/roles/merged", { allowed_policies: "apps" }),
      rootB.write("auth/token/roles/merged", { orphan: true }),
      rootA.write("auth/token/roles/merged", { path_suffix: "v3" }),
      rootB.write("auth/token/roles/merged", { token_num_uses: 2 }),
      rootA.write("auth/token/roles/merged", { renewable: false }),
      rootB.write("auth/token/roles/merged", { token_period: "15m" }),
    ]);
    expect((await rootB.read("auth/token/roles/merged")).data).toMatchObject({
      allowed_policies: ["apps"], orphan: true, path_suffix: "v3", token_num_uses: 2, renewable: false, token_period: 900,
    });
  });

  it("a token made through a role on one engine stops renewing on the other once the role is deleted there", async () => {
    await rootA.write("auth/token/roles/brief", { allowed_policies: "apps" });
    const { auth } = await rootA.write("auth/token/create/brief", { ttl: "1h" });
    await expect(b.client(auth!.client_token).write("auth/token/renew-self", {})).resolves.toMatchObject({ auth: { client_token: auth!.client_token } });
    await rootB.delete("auth/token/roles/brief");
    await expect(a.client(auth!.client_token).write("auth/token/renew-self", {})).rejects.toThrow(/no longer exists/);
  });
});
