/**
 * The crash test, shared by the FileStorage and PostgresStorage variants: a child engine process
 * issues and revokes credentials in a loop and is SIGKILLed at random moments; afterwards an engine
 * reopened on the same storage must track every PostgreSQL role it created, and have lost no lease.
 */
import { fork } from "node:child_process";
import { randomInt } from "node:crypto";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { Engine, ManualClock, type Storage } from "../../src/index.js";
import type { TestDatabase } from "./database.js";
import type { ChildConfig } from "./engine-process.js";
import { connectionConfigFor } from "./engine-fixture.js";
import { sealedForTest } from "./sealed-storage.js";

const CHILD = fileURLToPath(new URL("./engine-process.ts", import.meta.url));
const LEASES = "sys/expire/id/";

/** What the children told the parent before they were killed. */
interface Reports {
  issued: Set<string>;
  revoking: Set<string>;
}

/** Runs one child until a random moment 50–300 ms after it opened, then SIGKILLs it. */
function runAndKill(config: ChildConfig, reports: Reports): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, { execArgv: ["--import", "tsx"], env: { ...process.env, VAULTLET_CHILD: JSON.stringify(config) }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let killed = false;
    child.on("message", (message: { ready?: boolean; issued?: string; revoking?: string }) => {
      if (message.ready) setTimeout(() => ((killed = true), child.kill("SIGKILL")), 50 + randomInt(250));
      if (message.issued) reports.issued.add(message.issued);
      if (message.revoking) reports.revoking.add(message.revoking);
    });
    child.once("exit", (code) => (killed ? resolve() : reject(new Error(`churn process exited by itself with ${code}`))));
  });
}

/**
 * Seeds `open()`'s storage, kills `kills` churning children, reconciles and checks. `role` names
 * the database role (usernames start with `v-root-<role>-`), so this run's roles can be told apart.
 */
export async function crashTest(db: TestDatabase, openRaw: () => Storage, childStorage: ChildConfig["storage"], role: string, kills: number): Promise<void> {
  const open = () => sealedForTest(openRaw()); // as the children open it
  const clock = new ManualClock(Date.now());
  const setup = await Engine.open({ storage: open(), clock });
  const { rootToken } = await setup.initialize();
  const root = setup.client(rootToken);
  await root.write("sys/mounts/database", { type: "database" });
  await root.write("database/config/postgresql", connectionConfigFor(db, role));
  await root.write(`database/roles/${role}`, { db_name: "postgresql", creation_statements: `CREATE ROLE "{{name}}" NOLOGIN;`, default_ttl: "1h" });
  await setup.close();

  const reports: Reports = { issued: new Set(), revoking: new Set() };
  const config: ChildConfig = { mode: "churn", storage: childStorage, rootToken, role };
  for (let i = 0; i < kills; i++) await runAndKill(config, reports);
  expect(reports.issued.size).toBeGreaterThan(kills); // the children did real work between kills

  // A clock from after the kills: the children issued with real time, and 30 kills take over a
  // minute on a loaded machine, so "6m" from the setup's clock could end before a late pending
  // lease's grace does.
  const reconcile = new ManualClock(Date.now());
  const engine = await Engine.open({ storage: open(), clock: reconcile });
  try {
    await engine.leasesRestored();
    await reconcile.advance(0); // single-process storage: pending leases (killed mid-issue) roll back at once
    await reconcile.advance("6m"); // shared storage: once their grace (5 min by default) has passed
    const storage = open();
    const leases = await Promise.all(
      (await storage.list(LEASES)).map(async (key) => JSON.parse(new TextDecoder().decode(await storage.get(key))) as { id: string; state: string; internal: { username: string } }),
    );
    await storage.close?.();
    expect(leases.filter((lease) => lease.state !== "active")).toEqual([]);
    const tracked = new Set(leases.map((lease) => lease.internal.username));
    const { rows } = await db.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname LIKE $1", [`v-root-${role}-%`]);
    const untracked = rows.map((row) => row.rolname).filter((name) => !tracked.has(name));
    expect(untracked).toEqual([]); // no database user that no lease tracks
    const stored = new Set(leases.map((lease) => lease.id));
    const lost = [...reports.issued].filter((id) => !reports.revoking.has(id) && !stored.has(id));
    expect(lost).toEqual([]); // no lease handed out and never revoked has vanished
  } finally {
    await engine.client(rootToken).write("sys/leases/revoke-prefix/database/", {}).catch(() => undefined);
    await engine.close();
  }
}
