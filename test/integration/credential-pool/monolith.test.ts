/**
 * The example monolith (examples/credential-pool-monolith.ts), in process on port 0 with a
 * ManualClock: its routes keep answering across rotations, under the user of the moment.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../../src/index.js";
import { startMonolith, type Monolith } from "../../../examples/credential-pool-monolith.js";
import { useTestDatabase } from "../../support/database.js";
import { roleExists } from "../../support/engine-fixture.js";

const db = useTestDatabase();
let monolith: Monolith | undefined;
afterEach(async () => {
  await monolith?.close();
  monolith = undefined;
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${monolith!.url}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe("the credential-pool monolith", () => {
  it("serves its routes through three rotations, each note written by the user of its moment", async () => {
    const clock = new ManualClock(Date.now());
    monolith = await startMonolith({ databaseUrl: db.url, port: 0, clock, ttl: { default: "1h", max: "3h" } });
    const users: string[] = [];
    for (let round = 0; round < 4; round++) {
      const health = await call("GET", "/health");
      expect(health).toMatchObject({ status: 200, json: { rotations: round } });
      expect(JSON.stringify(health.json)).not.toMatch(/password/i);
      const user = String(health.json.username);
      users.push(user);
      const requests = await Promise.all(Array.from({ length: 10 }, (_, i) => call("POST", "/notes", { body: `round ${round} note ${i}` })));
      expect(requests.map((r) => r.status)).toEqual(Array(10).fill(201));
      expect(requests.every((r) => r.json.author === user)).toBe(true);
      await clock.advance("2h54m"); // past the rotation, before the old lease ends
      if (round > 0) await vi.waitFor(async () => expect(await roleExists(db, users[round - 1]!)).toBe(false), { timeout: 10_000, interval: 20 });
    }
    expect(new Set(users).size).toBe(4);
    const { status, json } = await call("GET", "/notes");
    expect(status).toBe(200);
    expect(json.notes).toHaveLength(40);
    await monolith.close();
    monolith = undefined;
    for (const user of users) expect(await roleExists(db, user)).toBe(false);
  });

  it("answers 400 and 404 without touching the database's errors", async () => {
    monolith = await startMonolith({ databaseUrl: db.url, port: 0, clock: new ManualClock(Date.now()) });
    expect(await call("POST", "/notes", { body: "" })).toMatchObject({ status: 400 });
    expect(await call("GET", "/nowhere")).toMatchObject({ status: 404 });
  });
});
