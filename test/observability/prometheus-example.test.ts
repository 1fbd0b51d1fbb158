import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { formatPrometheus, startMetricsServer } from "../../examples/metrics-prometheus.js";
import { FAST_REVOCATION, useEngineFixture } from "../support/engine-fixture.js";

const seed = useEngineFixture({ revocation: FAST_REVOCATION });

describe("examples/metrics-prometheus.ts", () => {
  it("serves the engine's metrics in Prometheus text format", async () => {
    const { engine, root } = await seed();
    const first = await root.read("database/creds/readonly");
    await root.read("database/creds/readonly");
    await root.write("sys/leases/revoke", { lease_id: first.lease_id });
    const server = await startMetricsServer(engine, { port: 0 });
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      expect(text).toContain('vaultlet_role_leases_active{mount="database/",role="readonly"} 1\n');
      expect(text).toContain('vaultlet_leases_active{mount="database/"} 1\n');
      expect(text).toContain("# TYPE vaultlet_revocations_total counter\nvaultlet_revocations_total 1\n");
      expect(text).toContain("vaultlet_leases_created_total 2\n");
      expect(text).toContain("vaultlet_revocation_queue_depth 0\n");
      expect(text).toContain("# TYPE vaultlet_revocations_waiting_for_database gauge\nvaultlet_revocations_waiting_for_database 0\n");
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("escapes label values", () => {
    const text = formatPrometheus({
      leases: { active: 1, irrevocable: 0, byMount: [{ mount: 'a"b\\c\n', active: 1, irrevocable: 0 }], byRole: [], created: 0, renewed: 0, expired: 0 },
      revocations: { queueDepth: 0, waitingForDatabase: 0, succeeded: 0, failed: 0, becameIrrevocable: 0 },
      tokens: { created: 0, revoked: 0 },
      quotas: { rejected: 0 },
    });
    expect(text).toContain('vaultlet_leases_active{mount="a\\"b\\\\c\\n"} 1');
  });
});
