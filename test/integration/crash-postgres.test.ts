/** SIGKILL at random moments while issuing and revoking on PostgresStorage: nothing orphaned, nothing lost. */
import { describe, it } from "vitest";
import { PostgresStorage } from "../../src/index.js";
import { crashTest } from "../support/crash-harness.js";
import { useTestDatabase } from "../support/database.js";

const db = useTestDatabase();

describe("crash safety on PostgresStorage", () => {
  it("survives 30 SIGKILLs mid-issue and mid-revoke with no untracked role and no lost lease", { timeout: 180_000 }, async () => {
    const table = "crash_storage";
    await crashTest(db, () => new PostgresStorage({ connectionString: db.url, table }), { kind: "postgres", url: db.url, table }, "crashp", 30);
  });
});
