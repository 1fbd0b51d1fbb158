/**
 * An engine in a child process, for the multi-process and crash tests. Started with
 * `fork("test/support/engine-process.ts", { execArgv: ["--import", "tsx"] })` and configured by the
 * `VAULTLET_CHILD` environment variable (JSON, see {@link ChildConfig}).
 *
 * Modes:
 * - `serve`: opens the engine (which restores and revokes due leases) and waits for a `"close"`
 *   message; answers `{ closed: true }` after `engine.close()`.
 * - `churn`: reads and revokes credentials in a loop until it is killed; never exits by itself.
 *
 * The clock is the system clock shifted by `offsetMs`, so a parent that issued leases with a
 * `ManualClock` can start children that see them as expired, with real timers.
 */
import { Engine, FileStorage, PostgresStorage, SystemClock, type RevocationOptions, type Storage } from "../../src/index.js";
import { loadPg } from "../../src/util/load-pg.js";
import { sealedForTest } from "./sealed-storage.js";

/** What the parent passes in `VAULTLET_CHILD`. */
export interface ChildConfig {
  mode: "serve" | "churn";
  storage: { kind: "file"; path: string } | { kind: "postgres"; url: string; table: string };
  offsetMs?: number;
  revocation?: RevocationOptions;
  /** churn: the root token to use. */
  rootToken?: string;
  /** churn: the database role to read credentials of. */
  role?: string;
}

class OffsetClock extends SystemClock {
  constructor(readonly offsetMs: number) {
    super();
  }
  override now(): number {
    return Date.now() + this.offsetMs;
  }
}

function storageFor(config: ChildConfig["storage"]): Storage {
  return sealedForTest(config.kind === "file" ? new FileStorage({ path: config.path }) : new PostgresStorage({ connectionString: config.url, table: config.table }));
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.VAULTLET_CHILD ?? "{}") as ChildConfig;
  const engine = await Engine.open({ storage: storageFor(config.storage), clock: new OffsetClock(config.offsetMs ?? 0), revocation: config.revocation });
  // vaultlet loads pg on first use; a churning child loads it before it says ready, so that the
  // parent's kill, 50–300 ms later, lands in issuing and revoking rather than in loading a module.
  if (config.mode === "churn") await loadPg();
  process.send?.({ ready: true });
  if (config.mode === "churn") return churn(engine, config.rootToken!, config.role!);
  process.on("message", (message) => {
    if (message !== "close") return;
    void engine.close().then(() => {
      process.send?.({ closed: true }, () => process.exit(0));
    });
  });
}

/** Issues and revokes credentials as fast as it can, so a SIGKILL lands in every phase. */
async function churn(engine: Engine, rootToken: string, role: string): Promise<void> {
  const root = engine.client(rootToken);
  const held: string[] = [];
  for (let i = 0; ; i++) {
    const creds = await root.read(`database/creds/${role}`);
    held.push(creds.lease_id);
    await report({ issued: creds.lease_id });
    if (i % 2 === 1) {
      const id = held.shift()!;
      await report({ revoking: id });
      await root.write("sys/leases/revoke", { lease_id: id });
    }
  }
}

/** Sends a message and waits until it is handed to the parent, so a later kill cannot lose it. */
function report(message: Record<string, string>): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

main().catch((err: unknown) => {
  console.error(`[engine-process] ${err instanceof Error ? `${err.name}: ${err.message}` : "failed"}`);
  process.exit(1);
});
