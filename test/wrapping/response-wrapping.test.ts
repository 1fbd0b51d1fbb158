/**
 * Response wrapping as Vault's: a request with a wrap TTL gets only `wrap_info` back, and the
 * wrapping token unwraps the response exactly once, before its TTL ends, in one engine or across
 * engines on one storage; `sys/wrapping/wrap`, `lookup` and `rewrap`; policies' wrapping TTL
 * bounds; audit never sees the wrapped secret in clear.
 */
import { describe, expect, it } from "vitest";
import {
  Engine,
  InvalidRequestError,
  MemoryStorage,
  PermissionDeniedError,
  type AuditEntry,
  type Client,
  type Response,
  type WrapInfo,
} from "../../src/index.js";
import { sealedForTest, useEngineFixture } from "../support/engine-fixture.js";

const seed = useEngineFixture();

type Creds = { username: string; password: string };

async function wrappedCreds(root: Client, ttl: string | number = "5m"): Promise<WrapInfo> {
  const response = await root.read("database/creds/readonly", undefined, { wrapTtl: ttl });
  return response.wrap_info!;
}

async function tokenWith(root: Client, policies: string[]): Promise<string> {
  return (await root.write("auth/token/create", { policies })).auth!.client_token;
}

describe("wrapping a response", () => {
  it("returns only Vault's wrap_info: a single-use token, its accessor, TTL, creation time and path", async () => {
    const { root, clock } = await seed();
    const response = await root.read("database/creds/readonly", undefined, { wrapTtl: "5m" });
    expect(response).toMatchObject({ lease_id: "", lease_duration: 0, renewable: false, data: null, auth: null });
    expect(response.wrap_info).toEqual({
      token: expect.stringMatching(/^vls\./),
      accessor: expect.any(String),
      ttl: 300,
      creation_time: new Date(clock.now()).toISOString(),
      creation_path: "database/creds/readonly",
    });
    const lookup = await root.write("auth/token/lookup", { token: response.wrap_info!.token });
    expect(lookup.data).toMatchObject({ policies: ["response-wrapping"], num_uses: 1, renewable: false, ttl: 300, path: "database/creds/readonly" });
  });

  it("unwraps once, by the wrapping token itself, into the response with its lease, still owned by the requester", async () => {
    const { engine, root, db } = await seed();
    const wrap = await wrappedCreds(root);
    const holder = engine.client(wrap.token);
    const unwrapped = await holder.write<Creds>("sys/wrapping/unwrap");
    expect(unwrapped.lease_id).toMatch(/^database\/creds\/readonly\//);
    expect(unwrapped.lease_duration).toBe(3600);
    expect(db.users.has(unwrapped.data!.username)).toBe(true);
    await expect(holder.write("sys/wrapping/unwrap")).rejects.toBeInstanceOf(PermissionDeniedError);
    // The lease belongs to the token that read the creds: revoking the wrapping token (gone) did not touch it.
    expect((await root.write("sys/leases/lookup", { lease_id: unwrapped.lease_id })).data).toMatchObject({ id: unwrapped.lease_id });
  });

  it("unwraps once by token in the body, with any token allowed to call unwrap (the default policy is)", async () => {
    const { engine, root } = await seed();
    const wrap = await wrappedCreds(root);
    const other = engine.client(await tokenWith(root, ["default"]));
    const unwrapped = await other.write<Creds>("sys/wrapping/unwrap", { token: wrap.token });
    expect(unwrapped.data).toMatchObject({ username: expect.any(String), password: expect.any(String) });
    await expect(other.write("sys/wrapping/unwrap", { token: wrap.token })).rejects.toThrow(/wrapping token is not valid or does not exist/);
    await expect(engine.client(wrap.token).write("sys/wrapping/unwrap")).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it("refuses a token that is not a wrapping token, and unwrap without any", async () => {
    const { engine, root } = await seed();
    const plain = await tokenWith(root, ["default"]);
    await expect(root.write("sys/wrapping/unwrap", { token: plain })).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(engine.client(plain).write("sys/wrapping/unwrap")).rejects.toThrow(/token is required/);
  });

  it("fails once the wrapping TTL is over, and forgets the wrapped response", async () => {
    const { engine, root, clock, storage } = await seed();
    const wrap = await wrappedCreds(root, 60);
    expect(await storage.list("sys/wrapping/")).toHaveLength(1);
    await clock.advance("61s");
    await expect(engine.client(wrap.token).write("sys/wrapping/unwrap")).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(root.write("sys/wrapping/unwrap", { token: wrap.token })).rejects.toBeInstanceOf(InvalidRequestError);
    expect(await storage.list("sys/wrapping/")).toEqual([]);
  });

  it("keeps the wrapped response encrypted at rest: the raw record holds neither the password nor the username", async () => {
    const raw = new MemoryStorage();
    const { engine, root } = await seed({ storage: sealedForTest(raw) });
    const wrap = await wrappedCreds(root);
    const [key] = await raw.list("sys/wrapping/");
    expect(key).toBe(`sys/wrapping/${wrap.accessor}`);
    const bytes = Buffer.from((await raw.get(key!))!).toString("latin1");
    const unwrapped = await engine.client(wrap.token).write<Creds>("sys/wrapping/unwrap");
    expect(bytes).not.toContain(unwrapped.data!.password);
    expect(bytes).not.toContain(unwrapped.data!.username);
    expect(await raw.list("sys/wrapping/")).toEqual([]);
  });

  it("counts the wrapping token as created and revoked, like every token", async () => {
    const { engine, root } = await seed();
    const before = engine.metrics().tokens;
    const wrap = await wrappedCreds(root);
    await engine.client(wrap.token).write("sys/wrapping/unwrap");
    expect(engine.metrics().tokens).toEqual({ created: before.created + 1, revoked: before.revoked + 1 });
  });

  it("deletes the stored response on unwrap", async () => {
    const { engine, root, storage } = await seed();
    const wrap = await wrappedCreds(root);
    await engine.client(wrap.token).write("sys/wrapping/unwrap");
    expect(await storage.list("sys/wrapping/")).toEqual([]);
  });

  it("lets exactly one of many parallel unwraps win, first-party and third-party mixed", async () => {
    const { engine, root } = await seed();
    const wrap = await wrappedCreds(root);
    const attempts = Array.from({ length: 12 }, (_, index) =>
      index % 2 === 0 ? engine.client(wrap.token).write("sys/wrapping/unwrap") : root.write("sys/wrapping/unwrap", { token: wrap.token }),
    );
    const outcomes = await Promise.allSettled(attempts);
    expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
  });

  it("lets exactly one unwrap win across two engines on one storage", async () => {
    const fixture = await seed();
    const second = await Engine.open({ storage: fixture.storage, clock: fixture.clock, plugins: [fixture.db.plugin()] });
    try {
      const wrap = await wrappedCreds(fixture.root);
      const outcomes = await Promise.allSettled(
        [fixture.engine, second, fixture.engine, second].map((engine, index) =>
          index < 2 ? engine.client(wrap.token).write("sys/wrapping/unwrap") : engine.client(fixture.rootToken).write("sys/wrapping/unwrap", { token: wrap.token }),
        ),
      );
      expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  it("does not wrap an answer with nothing in it (204)", async () => {
    const { root } = await seed();
    const response = await root.write("sys/policy/apps", { policy: 'path "x" { capabilities = ["read"] }' }, { wrapTtl: "1m" });
    expect(response.wrap_info).toBeNull();
  });

  it("wraps a created token, naming its accessor as wrapped_accessor", async () => {
    const { engine, root } = await seed();
    const response = await root.write("auth/token/create", { policies: ["default"] }, { wrapTtl: 120 });
    expect(response.auth).toBeNull();
    const unwrapped = await engine.client(response.wrap_info!.token).write("sys/wrapping/unwrap");
    expect(response.wrap_info!.wrapped_accessor).toBe(unwrapped.auth!.accessor);
    await expect(engine.client(unwrapped.auth!.client_token).read("auth/token/lookup-self")).resolves.toBeTruthy();
  });

  it("refuses a wrap TTL that is not a duration", async () => {
    const { root } = await seed();
    await expect(root.read("database/creds/readonly", undefined, { wrapTtl: "soon" })).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(root.read("database/creds/readonly", undefined, { wrapTtl: -5 })).rejects.toBeInstanceOf(InvalidRequestError);
    expect((await root.read("database/creds/readonly", undefined, { wrapTtl: 0 })).wrap_info).toBeNull();
  });
});

describe("sys/wrapping/wrap, lookup and rewrap", () => {
  it("wraps the given data, and requires a wrap TTL", async () => {
    const { engine, root } = await seed();
    await expect(root.write("sys/wrapping/wrap", { foo: "bar" })).rejects.toThrow(/endpoint requires response wrapping/);
    const wrapped = await root.write("sys/wrapping/wrap", { foo: "bar", zip: "zap" }, { wrapTtl: "60s" });
    expect(wrapped.wrap_info).toMatchObject({ ttl: 60, creation_path: "sys/wrapping/wrap" });
    expect((await engine.client(wrapped.wrap_info!.token).write("sys/wrapping/unwrap")).data).toEqual({ foo: "bar", zip: "zap" });
  });

  it("looks up a wrapping token without any token, without using it", async () => {
    const { engine, root, clock } = await seed();
    const wrap = await wrappedCreds(root, "2m");
    const lookup = await engine.request({ operation: "update", path: "sys/wrapping/lookup", data: { token: wrap.token } });
    expect(lookup.data).toEqual({ creation_path: "database/creds/readonly", creation_time: new Date(clock.now()).toISOString(), creation_ttl: 120 });
    expect((await engine.request({ operation: "read", path: "sys/wrapping/lookup", data: { token: wrap.token } })).data).toMatchObject({ creation_ttl: 120 });
    // By the wrapping token itself as the request token: still not used.
    await expect(engine.client(wrap.token).write("sys/wrapping/lookup")).resolves.toBeTruthy();
    await expect(engine.client(wrap.token).write("sys/wrapping/unwrap")).resolves.toMatchObject({ data: { username: expect.any(String) } });
    await expect(engine.request({ operation: "update", path: "sys/wrapping/lookup", data: { token: wrap.token } })).rejects.toBeInstanceOf(
      InvalidRequestError,
    );
    await expect(engine.request({ operation: "update", path: "sys/wrapping/lookup", data: {} })).rejects.toThrow(/token is required/);
  });

  it("rewraps behind a new token with the same TTL and path; the old token stops working", async () => {
    const { engine, root } = await seed();
    const wrap = await wrappedCreds(root, "3m");
    const rewrapped = await root.write("sys/wrapping/rewrap", { token: wrap.token });
    const info = rewrapped.wrap_info!;
    expect(info).toMatchObject({ ttl: 180, creation_path: "database/creds/readonly" });
    expect(info.token).not.toBe(wrap.token);
    await expect(root.write("sys/wrapping/unwrap", { token: wrap.token })).rejects.toBeInstanceOf(InvalidRequestError);
    expect((await engine.client(info.token).write<Creds>("sys/wrapping/unwrap")).data!.username).toMatch(/^v-/);
  });
});

describe("parameters (no silent success)", () => {
  it("names a parameter the wrapping endpoints do not know in warnings, and wraps every field given to wrap", async () => {
    const { engine, root } = await seed();
    const wrap = await wrappedCreds(root);
    const lookup = await root.write("sys/wrapping/lookup", { token: wrap.token, bogus: 1 });
    expect(lookup.warnings).toEqual(["Endpoint ignored these unrecognized parameters: [bogus]"]);
    const wrapped = await root.write("sys/wrapping/wrap", { token: "not-a-parameter-here", ttl: "1h" }, { wrapTtl: 60 });
    expect(wrapped.warnings).toBeNull();
    expect((await engine.client(wrapped.wrap_info!.token).write("sys/wrapping/unwrap")).data).toEqual({ token: "not-a-parameter-here", ttl: "1h" });
  });
});

describe("policies' wrapping TTL bounds", () => {
  it("demand wrapping within min_wrapping_ttl and max_wrapping_ttl", async () => {
    const { engine, root } = await seed();
    await root.write("sys/policy/wrapped-only", {
      policy: 'path "database/creds/readonly" {\n  capabilities = ["read"]\n  min_wrapping_ttl = "30s"\n  max_wrapping_ttl = "5m"\n}',
    });
    const app = engine.client(await tokenWith(root, ["wrapped-only"]));
    await expect(app.read("database/creds/readonly")).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(app.read("database/creds/readonly", undefined, { wrapTtl: "10s" })).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(app.read("database/creds/readonly", undefined, { wrapTtl: "10m" })).rejects.toBeInstanceOf(PermissionDeniedError);
    expect((await app.read("database/creds/readonly", undefined, { wrapTtl: "1m" })).wrap_info!.ttl).toBe(60);
  });
});

describe("audit", () => {
  it("records the wrapping token and the unwrapped secret only HMAC'd", async () => {
    const entries: AuditEntry[] = [];
    const fixture = await seed();
    // The fixture's engine has no sinks: a second engine on its storage records.
    const audited = await Engine.open({ storage: fixture.storage, clock: fixture.clock, plugins: [fixture.db.plugin()], auditSinks: { memory: (entry) => void entries.push(entry) } });
    try {
      const root = audited.client(fixture.rootToken);
      await root.write("sys/audit/mem", { type: "stream", options: { sink: "memory" } });
      const wrapped = await root.read("database/creds/readonly", undefined, { wrapTtl: "5m" });
      const unwrapped: Response = await audited.client(wrapped.wrap_info!.token).write("sys/wrapping/unwrap");
      const text = JSON.stringify(entries);
      expect(text).not.toContain(wrapped.wrap_info!.token);
      expect(text).not.toContain(String(unwrapped.data!.password));
      const wrapEntry = entries.find((entry) => entry.type === "response" && entry.request.path === "database/creds/readonly")!;
      expect(wrapEntry.response!.data).toBeNull();
      expect(wrapEntry.response!.wrap_info).toMatchObject({ token: expect.stringMatching(/^hmac-sha256:/), ttl: 300, creation_path: "database/creds/readonly" });
      const unwrapEntry = entries.find((entry) => entry.type === "response" && entry.request.path === "sys/wrapping/unwrap")!;
      expect(unwrapEntry.response!.data).toMatchObject({ password: expect.stringMatching(/^hmac-sha256:/) });
    } finally {
      await audited.close();
    }
  });
});
