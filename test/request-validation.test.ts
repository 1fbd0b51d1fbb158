/**
 * The engine's edge: request data reduced to own, plain properties (the ACL's parameter checks
 * and the backend read the same object), and bounded in depth.
 */
import { describe, expect, it } from "vitest";
import { InvalidRequestError, ManualClock, MemoryStorage, Engine, type AuditEntry } from "../src/index.js";
import { MAX_REQUEST_DATA_DEPTH, validateRequest } from "../src/request-validation.js";
import { useEngineFixture } from "./support/engine-fixture.js";

const open = useEngineFixture();
const ORIGINAL_URL = "fake://{{username}}:{{password}}@nowhere";

/** A fixture with an `ops` token that may change only `allowed_roles` of the fake connection. */
async function opsFixture() {
  const fixture = await open();
  await fixture.root.write("sys/policy/ops", {
    policy: 'path "database/config/fake" { capabilities = ["create", "update"] allowed_parameters = { "allowed_roles" = [] } }',
  });
  const created = await fixture.root.write<never>("auth/token/create", { policies: ["ops"] });
  return { ...fixture, ops: fixture.engine.client(created.auth!.client_token) };
}

async function connectionUrl(fixture: Awaited<ReturnType<typeof opsFixture>>): Promise<unknown> {
  const read = await fixture.root.read<{ connection_details: { connection_url: string } }>("database/config/fake");
  return read.data!.connection_details.connection_url;
}

/** `nest(3)` is `{ a: { a: { a: {} } } }`: an object 4 levels deep. */
function nest(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

describe("request data reaching a backend", () => {
  it("ignores a field inherited through a prototype: the ACL allowed allowed_roles, the backend sees nothing else", async () => {
    const fixture = await opsFixture();
    const smuggled = Object.create({ connection_url: "fake://attacker.example/steal" }) as Record<string, unknown>;
    smuggled.allowed_roles = "readonly";
    await fixture.ops.write("database/config/fake", smuggled);
    expect(await connectionUrl(fixture)).toBe(ORIGINAL_URL);
  });

  it("ignores a prototype a host's Object.assign({}, JSON.parse(body)) set from a __proto__ key", async () => {
    const fixture = await opsFixture();
    const parsed = JSON.parse('{"allowed_roles": "readonly", "__proto__": {"connection_url": "fake://attacker.example/steal"}}') as object;
    const copied = Object.assign({}, parsed) as Record<string, unknown>;
    expect(copied.connection_url).toBe("fake://attacker.example/steal"); // the host's copy did inherit it
    await fixture.ops.write("database/config/fake", copied);
    expect(await connectionUrl(fixture)).toBe(ORIGINAL_URL);
  });

  it("reads a getter once, so the ACL and the backend see the same value", async () => {
    const fixture = await opsFixture();
    await fixture.root.write("sys/policy/ops", {
      policy: 'path "database/config/fake" { capabilities = ["update"] allowed_parameters = { "allowed_roles" = ["readonly"] } }',
    });
    let reads = 0;
    const data = { get allowed_roles() { return reads++ === 0 ? "readonly" : "*"; } };
    await fixture.ops.write("database/config/fake", data);
    expect(reads).toBe(1);
    const read = await fixture.root.read<{ allowed_roles: string[] }>("database/config/fake");
    expect(read.data!.allowed_roles).toEqual(["readonly"]);
  });

  it("refuses a JSON body's own __proto__ key, and keeps a constructor key plain data the ACL sees", async () => {
    const fixture = await opsFixture();
    const withProto = JSON.parse('{"allowed_roles": "readonly", "__proto__": {"connection_url": "x"}}') as Record<string, unknown>;
    await expect(fixture.root.write("database/config/fake", withProto)).rejects.toThrow(InvalidRequestError);
    const withConstructor = JSON.parse('{"allowed_roles": "readonly", "constructor": {"prototype": {"polluted": true}}}') as Record<string, unknown>;
    await expect(fixture.ops.write("database/config/fake", withConstructor)).rejects.toThrow(/permission denied/);
    await fixture.root.write("database/config/fake", withConstructor);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await connectionUrl(fixture)).toBe(ORIGINAL_URL);
  });
});

describe("validateRequest's data", () => {
  it("is a prototype-free copy of own enumerable properties, arrays and dates as JSON carries them", () => {
    const inner = Object.create({ inherited: 1 }) as Record<string, unknown>;
    inner.own = "x";
    const sparse: unknown[] = [];
    sparse[1] = "b";
    const given = { inner, list: sparse, at: new Date(Date.UTC(2026, 0, 1)) };
    const { data } = validateRequest("update", "a/b", given);
    expect(Object.getPrototypeOf(data)).toBeNull();
    expect(Object.getPrototypeOf(data.inner)).toBeNull();
    expect({ ...(data.inner as object) }).toEqual({ own: "x" });
    expect(data.list).toEqual([undefined, "b"]);
    expect(data.at).toBe("2026-01-01T00:00:00.000Z");
    expect(data).not.toBe(given);
  });

  it(`accepts data ${MAX_REQUEST_DATA_DEPTH} levels deep and refuses one level more, or a cycle, with InvalidRequestError`, () => {
    expect(() => validateRequest("update", "a", nest(MAX_REQUEST_DATA_DEPTH - 1))).not.toThrow();
    expect(() => validateRequest("update", "a", nest(MAX_REQUEST_DATA_DEPTH))).toThrow(InvalidRequestError);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => validateRequest("update", "a", cycle)).toThrow(/nests deeper than 32 levels/);
    expect(() => validateRequest("update", "a", { list: [[[nest(MAX_REQUEST_DATA_DEPTH)]]] })).toThrow(InvalidRequestError);
  });

  it("refuses functions and symbols", () => {
    expect(() => validateRequest("update", "a", { f: () => 1 })).toThrow(InvalidRequestError);
    expect(() => validateRequest("update", "a", { s: [Symbol("x")] })).toThrow(InvalidRequestError);
  });
});

it("refuses data nested 100 000 levels deep with InvalidRequestError, an audit device on, and records the refusal", async () => {
  const entries: AuditEntry[] = [];
  const engine = await Engine.open({ storage: new MemoryStorage(), clock: new ManualClock(0), auditSinks: { memory: (entry) => void entries.push(entry) } });
  try {
    const root = engine.client((await engine.initialize()).rootToken);
    await root.write("sys/audit/mem", { type: "stream", options: { sink: "memory" } });
    entries.length = 0;
    await expect(root.write("sys/policy/deep", nest(100_000))).rejects.toThrow(InvalidRequestError);
    expect(entries.map((entry) => entry.type)).toEqual(["request", "response"]);
    expect(JSON.stringify(entries[1]!.request.data)).toContain("[too deep]");
  } finally {
    await engine.close();
  }
});
