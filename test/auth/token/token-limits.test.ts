import { describe, expect, it } from "vitest";
import { ManualClock, PermissionDeniedError, type Client } from "../../../src/index.js";
import { TokenManager } from "../../../src/auth/token/token-manager.js";
import type { TokenCreateParams } from "../../../src/auth/token/token-request.js";
import { builtinMounts } from "../../../src/mounts/builtin-mounts.js";
import type { MountEntry } from "../../../src/mounts/mount-entry.js";
import { FAST_REVOCATION, useEngineFixture } from "../../support/engine-fixture.js";

const freshEngine = useEngineFixture({ revocation: FAST_REVOCATION });
const YEAR = "8760h";

async function seed() {
  const setup = await freshEngine();
  await setup.root.write("sys/policy/maker", { policy: 'path "auth/token/create" { capabilities = ["update"] }' });
  await setup.root.write("sys/policy/sudo-maker", { policy: 'path "auth/token/create" { capabilities = ["update", "sudo"] }' });
  return setup;
}

async function createToken(client: Client, data: Record<string, unknown>) {
  return client.write("auth/token/create", data);
}

describe("token limits (issue 11, item 4)", () => {
  it("a use-limited token cannot create child tokens", async () => {
    const { root, engine } = await seed();
    const limited = engine.client((await createToken(root, { policies: ["maker"], num_uses: 5 })).auth!.client_token);
    await expect(limited.write("auth/token/create", { policies: ["maker"] })).rejects.toThrow(/use-limited/);
    await expect(limited.write("auth/token/create", {})).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it("sys/mounts/auth/token/tune caps every later token's TTL at the tuned max_lease_ttl, kept across a restart", async () => {
    const fixture = await seed();
    await fixture.root.write("sys/mounts/auth/token/tune", { max_lease_ttl: "1h" });
    expect((await fixture.root.read("sys/mounts/auth/token/tune")).data).toMatchObject({ max_lease_ttl: 3600 });
    const capped = await createToken(fixture.root, { policies: ["maker"], ttl: YEAR });
    expect(capped.auth).toMatchObject({ lease_duration: 3600 });
    expect(capped.warnings?.join(" ")).toMatch(/max_ttl|capped/);
    await fixture.restart();
    const afterRestart = await createToken(fixture.root, { policies: ["maker"], explicit_max_ttl: YEAR });
    expect(afterRestart.auth!.lease_duration).toBeLessThanOrEqual(3600);
    await expect(fixture.root.write("sys/mounts/sys/tune", { max_lease_ttl: "1h" })).rejects.toThrow(/built-in/);
  });

  it("period needs root or sudo", async () => {
    const { root, engine } = await seed();
    const maker = engine.client((await createToken(root, { policies: ["maker"] })).auth!.client_token);
    await expect(maker.write("auth/token/create", { period: "1h" })).rejects.toBeInstanceOf(PermissionDeniedError);
    const sudoMaker = engine.client((await createToken(root, { policies: ["sudo-maker"] })).auth!.client_token);
    await expect(sudoMaker.write("auth/token/create", { period: "1h" })).resolves.toMatchObject({ auth: { lease_duration: 3600 } });
    await expect(root.write("auth/token/create", { period: "1h" })).resolves.toMatchObject({ auth: { lease_duration: 3600 } });
  });

  it("caps explicit_max_ttl, period and ttl at the system's max TTL (768h), with a warning", async () => {
    const { root } = await seed();
    const explicit = await createToken(root, { policies: ["maker"], explicit_max_ttl: YEAR });
    expect(explicit.warnings?.join(" ")).toMatch(/explicit_max_ttl .*capped/);
    const explicitLookup = await root.write("auth/token/lookup", { token: explicit.auth!.client_token });
    expect(explicitLookup.data!.explicit_max_ttl).toBe(768 * 3600);

    const periodic = await createToken(root, { policies: ["maker"], period: YEAR });
    expect(periodic.auth!.lease_duration).toBe(768 * 3600);
    expect(periodic.warnings?.join(" ")).toMatch(/period .*capped/);
    const periodicLookup = await root.write("auth/token/lookup", { token: periodic.auth!.client_token });
    expect(periodicLookup.data!.period).toBe(768 * 3600);

    const ttl = await createToken(root, { policies: ["maker"], ttl: YEAR });
    expect(ttl.auth!.lease_duration).toBe(768 * 3600);
    expect(ttl.warnings?.join(" ")).toMatch(/TTL .*capped/);
  });

  it("a periodic token created within the cap still renews to its period", async () => {
    const { root, engine, clock } = await seed();
    const app = engine.client((await createToken(root, { policies: ["maker"], period: "1h" })).auth!.client_token);
    for (let i = 0; i < 5; i++) {
      await clock.advance("50m");
      expect((await app.write("auth/token/renew-self", {})).auth!.lease_duration).toBe(3600);
    }
  });
});

describe("TokenManager lifetime caps at the token mount's max_lease_ttl", () => {
  const tuned = (max_lease_ttl: number): MountEntry => ({ ...builtinMounts()[1]!, config: { default_lease_ttl: 0, max_lease_ttl } });

  /** A manager over stubs that records the TTL each creation asks the lease manager for. */
  function managerWith(mount: MountEntry) {
    const issued: { ttl: number; maxTtl: number }[] = [];
    const stored: Record<string, unknown>[] = [];
    const leases = {
      issue: async (_where: unknown, options: { ttl: { ttl: number; maxTtl: number } }, create: (lease: unknown) => Promise<unknown>) => {
        issued.push(options.ttl);
        await create({ id: "lease", expireTime: 0 });
      },
    };
    const tokens = {
      create: async (spec: Record<string, unknown>) => {
        stored.push(spec);
        return { token: "t", entry: { ...spec, creationTime: 0 } };
      },
    };
    const manager = new TokenManager({
      tokens: tokens as never,
      leases: leases as never,
      policies: {} as never,
      clock: new ManualClock(0),
      mount: () => mount,
    });
    return { manager, issued, stored };
  }

  const root = { policies: ["root"], numUses: 0, accessor: "root" } as never;
  const params = (extra: Partial<TokenCreateParams>): TokenCreateParams => ({
    policies: ["apps"], noDefaultPolicy: false, ttl: undefined, explicitMaxTtl: undefined, period: undefined,
    renewable: true, displayName: "token", numUses: 0, meta: {}, noParent: false, ...extra,
  });
  const options = { orphan: false, parentSudo: false, path: "auth/token/create" };

  it("a mount tuned to 1h issues no token past 1h, whatever is asked", async () => {
    const { manager, issued, stored } = managerWith(tuned(3600));
    const year = 365 * 86_400;
    const explicit = await manager.create(root, params({ explicitMaxTtl: year }), options);
    const periodic = await manager.create(root, params({ period: year }), options);
    const ttl = await manager.create(root, params({ ttl: year }), options);
    expect(issued.map((t) => t.ttl)).toEqual([3600, 3600, 3600]);
    expect(issued[0]!.maxTtl).toBe(3600);
    expect(issued[2]!.maxTtl).toBe(3600);
    expect(stored[0]!.explicitMaxExpireTime).toBe(3600 * 1000);
    expect(stored[1]!.period).toBe(3600);
    expect(explicit.warnings?.join(" ")).toMatch(/explicit_max_ttl of 8760h.*1h/);
    expect(periodic.warnings?.join(" ")).toMatch(/period of 8760h.*1h/);
    expect(ttl.warnings?.join(" ")).toMatch(/TTL of 8760h.*1h/);
  });

  it("a mount tuned above the system's max is held to the system's max", async () => {
    const { manager, issued } = managerWith(tuned(10 * 365 * 86_400));
    await manager.create(root, params({ ttl: 365 * 86_400 }), options);
    expect(issued[0]!.ttl).toBe(768 * 3600);
  });
});

describe("every token renewal is capped as creation is, by the token mount's current tune (issue 20, item 7)", () => {
  /** The ids of the token leases under `prefix` (e.g. `auth/token/create/periodic`). */
  async function tokenLeaseIds(root: Client, prefix: string): Promise<string[]> {
    const listed = await root.list(`sys/leases/lookup/${prefix}`).catch(() => undefined);
    return ((listed?.data?.keys ?? []) as string[]).filter((key) => !key.endsWith("/")).map((key) => `${prefix}/${key}`);
  }

  it("a role token_period above the mount's max_lease_ttl renews to the capped period, on every renewal path", async () => {
    const { root, engine, clock } = await seed();
    await root.write("sys/mounts/auth/token/tune", { max_lease_ttl: "1h" });
    await root.write("auth/token/roles/periodic", { allowed_policies: "maker", token_period: "1000h" });
    const made = await root.write("auth/token/create/periodic", {});
    expect(made.auth!.lease_duration).toBe(3600);
    const token = made.auth!.client_token;
    const app = engine.client(token);
    const [leaseId] = await tokenLeaseIds(root, "auth/token/create/periodic");
    const renewals = [
      () => app.write("auth/token/renew-self", {}),
      () => app.write("auth/token/renew-self", { increment: "1000h" }),
      () => root.write("auth/token/renew", { token, increment: "1000h" }),
      () => root.write("auth/token/renew-accessor", { accessor: made.auth!.accessor }),
    ];
    for (const renewal of renewals) {
      await clock.advance("50m");
      const renewed = await renewal();
      expect(renewed.auth!.lease_duration).toBe(3600);
      expect(renewed.warnings?.join(" ")).toMatch(/period of 1000h0m0s exceeded the effective max_ttl of 1h0m0s; period value is capped accordingly/);
    }
    await clock.advance("50m");
    const viaLeases = await root.write("sys/leases/renew", { lease_id: leaseId!, increment: "1000h" });
    expect(viaLeases.lease_duration).toBe(3600);
    const lookup = await root.write("auth/token/lookup", { token });
    expect(lookup.data!.ttl).toBeLessThanOrEqual(3600);
    await clock.advance("61m");
    await expect(app.read("auth/token/lookup-self")).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it("a periodic token renews to its period capped by the mount's max_lease_ttl as tuned now, not at creation", async () => {
    const { root, engine, clock } = await seed();
    const app = engine.client((await createToken(root, { policies: ["maker"], period: "1h" })).auth!.client_token);
    await root.write("sys/mounts/auth/token/tune", { max_lease_ttl: "10m" });
    await clock.advance("5m");
    const renewed = await app.write("auth/token/renew-self", {});
    expect(renewed.auth!.lease_duration).toBe(600);
    expect(renewed.warnings?.join(" ")).toMatch(/period of 1h0m0s exceeded the effective max_ttl of 10m0s/);
    // A periodic token has no max of its own: it renews to its (capped) period again and again.
    for (let i = 0; i < 3; i++) {
      await clock.advance("9m");
      expect((await app.write("auth/token/renew-self", {})).auth!.lease_duration).toBe(600);
    }
  });

  it("sys/leases/renew of a periodic token's lease grants its period, whatever increment it asks for", async () => {
    const { root, clock } = await seed();
    await createToken(root, { policies: ["maker"], period: "1h" });
    const [leaseId] = await tokenLeaseIds(root, "auth/token/create");
    await clock.advance("30m");
    expect((await root.write("sys/leases/renew", { lease_id: leaseId!, increment: "100h" })).lease_duration).toBe(3600);
  });

  it("a token that is not periodic renews within the mount's max_lease_ttl as tuned now, counted from its creation", async () => {
    const { root, engine, clock } = await seed();
    const app = engine.client((await createToken(root, { policies: ["maker"], ttl: "1h" })).auth!.client_token);
    await root.write("sys/mounts/auth/token/tune", { max_lease_ttl: "30m" });
    await clock.advance("10m");
    const renewed = await app.write("auth/token/renew-self", { increment: "1h" });
    expect(renewed.auth!.lease_duration).toBe(1200);
    expect(renewed.warnings?.join(" ")).toMatch(/TTL of 1h0m0s exceeded the effective max_ttl of 20m0s/);
  });

  it("explicit_max_ttl still bounds a periodic role token", async () => {
    const { root, engine, clock } = await seed();
    await root.write("sys/mounts/auth/token/tune", { max_lease_ttl: "10h" });
    await root.write("auth/token/roles/periodic", { allowed_policies: "maker", token_period: "1000h", token_explicit_max_ttl: "2h" });
    const made = await root.write("auth/token/create/periodic", {});
    expect(made.auth!.lease_duration).toBe(7200);
    const app = engine.client(made.auth!.client_token);
    await clock.advance("1h");
    expect((await app.write("auth/token/renew-self", {})).auth!.lease_duration).toBe(3600);
  });
});

describe("a role given a token_period after its tokens were made (issue 20, item 7)", () => {
  it("sets their renewals to the period, within the cap they were made under, not a life without end", async () => {
    const { root, engine, clock } = await seed();
    await root.write("sys/mounts/auth/token/tune", { max_lease_ttl: "2h" });
    await root.write("auth/token/roles/web", { allowed_policies: "maker" });
    const app = engine.client((await root.write("auth/token/create/web", { ttl: "1h" })).auth!.client_token);
    await root.write("auth/token/roles/web", { token_period: "30m" });
    await clock.advance("10m");
    expect((await app.write("auth/token/renew-self", { increment: "2h" })).auth!.lease_duration).toBe(1800);
    for (let i = 0; i < 3; i++) {
      await clock.advance("25m");
      expect((await app.write("auth/token/renew-self", {})).auth!.lease_duration).toBe(1800);
    }
    await clock.advance("25m"); // 110m after creation: 10m left of the 2h cap
    expect((await app.write("auth/token/renew-self", {})).auth!.lease_duration).toBe(600);
    await clock.advance("11m");
    await expect(app.read("auth/token/lookup-self")).rejects.toBeInstanceOf(PermissionDeniedError);
  });
});
