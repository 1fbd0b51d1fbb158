import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { ConnectionTracker } from "../../src/credential-pool/connection-tracker.js";

describe("the connection tracker", () => {
  it("drains a retired lease once its last connection ends, and only then", async () => {
    const drained: string[] = [];
    const tracker = new ConnectionTracker((id) => drained.push(id));
    const [a, b, c] = [new EventEmitter(), new EventEmitter(), new EventEmitter()];
    tracker.opened(a, "old");
    tracker.opened(b, "old");
    tracker.opened(c, "new");
    tracker.retire("old");
    expect(tracker.isRetired(a)).toBe(true);
    expect(tracker.isRetired(c)).toBe(false);
    a.emit("end");
    expect(drained).toEqual([]);
    b.emit("end");
    b.emit("end"); // a second end counts nothing
    expect(drained).toEqual(["old"]);
    const closed = tracker.allClosed();
    c.emit("end");
    await closed;
    expect(tracker.size).toBe(0);
  });

  it("drains at once a lease retired with no connection", () => {
    const drained: string[] = [];
    const tracker = new ConnectionTracker((id) => drained.push(id));
    tracker.retire("unused");
    expect(drained).toEqual(["unused"]);
  });
});
