/**
 * A revocation storm gives way to requests: while the engine serves one, leases that fell due are
 * revoked one batch at a time (`revocation.concurrencyUnderLoad`); when it is quiet, at the queue's
 * full concurrency. On the fake plugin (the pure core); the effect on creds latency against
 * PostgreSQL is measured by `bench/revocation-storm.ts`.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeDatabase } from "../fakes/fake-database-plugin.js";
import { openEngineFixture, type EngineFixture } from "../support/engine-fixture.js";
import { BackgroundLane } from "../../src/leases/background-lane.js";
import { RequestPressure } from "../../src/util/request-pressure.js";

let fixture: EngineFixture | undefined;
afterEach(async () => {
  await fixture?.engine.close();
  fixture = undefined;
});

/** Counts how many `revokeUsers` calls run at once, each taking a few turns of the event loop. */
function watchRevocations(db: FakeDatabase): { max: () => number } {
  let active = 0;
  let max = 0;
  db.beforeRevoke = async () => {
    max = Math.max(max, ++active);
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    active--;
  };
  return { max: () => max };
}

async function stormOf(count: number, revocation?: { concurrencyUnderLoad?: number }) {
  const db = new FakeDatabase();
  db.batchRevocation = true;
  fixture = await openEngineFixture({ database: db, revocation: { concurrency: 8, ...revocation } });
  for (let i = 0; i < count; i++) await fixture.root.read("database/creds/readonly");
  return { ...fixture, db, watch: watchRevocations(db) };
}

describe("a revocation storm while requests are served", () => {
  it("revokes one batch at a time while a request is in flight, and every lease still goes", async () => {
    const { root, clock, db, watch } = await stormOf(1000);
    let release!: () => void;
    db.beforeCreate = () => new Promise<void>((resolve) => (release = resolve));
    const request = root.read("database/creds/readonly"); // in flight until released
    await vi.waitFor(() => expect(release).toBeDefined());
    try {
      await clock.advance(2 * 3600_000); // all 1000 fall due: five batches of 200
      expect(db.revokeUsersCalls).toEqual([200, 200, 200, 200, 200]);
      expect(watch.max()).toBe(1);
    } finally {
      release();
      await request;
    }
    expect(db.users.size).toBe(1); // the request's own user
  });

  it("with concurrencyUnderLoad: 3, three at a time", async () => {
    const { root, clock, db, watch } = await stormOf(1000, { concurrencyUnderLoad: 3 });
    let release!: () => void;
    db.beforeCreate = () => new Promise<void>((resolve) => (release = resolve));
    const request = root.read("database/creds/readonly");
    await vi.waitFor(() => expect(release).toBeDefined());
    try {
      await clock.advance(2 * 3600_000);
      expect(watch.max()).toBe(3);
    } finally {
      release();
      await request;
    }
  });
});

describe("BackgroundLane", () => {
  it("admits every batch when no request is in flight, one while one is", async () => {
    const pressure = new RequestPressure(0);
    const lane = new BackgroundLane(pressure, 1);
    let active = 0;
    let max = 0;
    const batch = async () => {
      max = Math.max(max, ++active);
      await new Promise<void>((resolve) => setImmediate(resolve));
      active--;
    };
    await Promise.all([lane.run(batch), lane.run(batch), lane.run(batch)]);
    expect(max).toBe(3);

    max = 0;
    const leave = pressure.enter();
    await Promise.all([lane.run(batch), lane.run(batch), lane.run(batch)]);
    expect(max).toBe(1);
    leave();
  });

  it("lets the waiting batches in at once when the busy spell ends", async () => {
    let now = 0;
    const pressure = new RequestPressure(10, () => now);
    const lane = new BackgroundLane(pressure, 1);
    const leave = pressure.enter();
    let release!: () => void;
    const first = lane.run(() => new Promise<void>((resolve) => (release = resolve)));
    let started = 0;
    const others = [lane.run(async () => void started++), lane.run(async () => void started++)];
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(lane.waiting).toBe(2);
    leave();
    now = 100; // the linger has passed when the quiet timer fires
    await vi.waitFor(() => expect(started).toBe(2));
    release();
    await Promise.all([first, ...others]);
  });

  it("counts the engine busy for the linger after its last request", () => {
    let now = 0;
    const pressure = new RequestPressure(50, () => now);
    expect(pressure.busy).toBe(false);
    const leave = pressure.enter();
    expect(pressure.busy).toBe(true);
    leave();
    leave(); // twice is once
    now = 49;
    expect(pressure.busy).toBe(true);
    now = 50;
    expect(pressure.busy).toBe(false);
  });
});
