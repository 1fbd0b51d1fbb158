/**
 * Exporting `engine.metrics()` to Prometheus, on `node:http` only (no dependency).
 *
 * ```sh
 * npx tsx examples/metrics-prometheus.ts     # then: curl http://127.0.0.1:9464/metrics
 * ```
 *
 * In your service: `await startMetricsServer(engine, { port: 9464 })`, or serve
 * `formatPrometheus(engine.metrics())` from your own HTTP framework's `/metrics` route.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { Engine, type EngineMetrics } from "../src/index.js";

type Labels = Record<string, string>;

interface Family {
  name: string;
  help: string;
  type: "gauge" | "counter";
  samples: Array<{ labels?: Labels; value: number }>;
}

/** `engine.metrics()` in Prometheus' text exposition format (version 0.0.4). */
export function formatPrometheus(metrics: EngineMetrics): string {
  const { leases, revocations, tokens, quotas } = metrics;
  const families: Family[] = [
    gauge("vaultlet_leases_active", "Leases whose secret exists, by mount.", leases.byMount.map((m) => ({ labels: { mount: m.mount }, value: m.active }))),
    gauge("vaultlet_leases_irrevocable", "Leases whose revocation kept failing, by mount.", leases.byMount.map((m) => ({ labels: { mount: m.mount }, value: m.irrevocable }))),
    gauge("vaultlet_role_leases_active", "Leases whose secret exists, by mount and role.", leases.byRole.map((r) => ({ labels: { mount: r.mount, role: r.role }, value: r.active }))),
    gauge("vaultlet_role_leases_irrevocable", "Irrevocable leases, by mount and role.", leases.byRole.map((r) => ({ labels: { mount: r.mount, role: r.role }, value: r.irrevocable }))),
    gauge("vaultlet_revocation_queue_depth", "Revocations waiting for a free slot.", [{ value: revocations.queueDepth }]),
    gauge("vaultlet_revocations_waiting_for_database", "Leases whose revocation waits for an unreachable database to answer again.", [
      { value: revocations.waitingForDatabase },
    ]),
    counter("vaultlet_leases_created_total", "Leases issued.", leases.created),
    counter("vaultlet_leases_renewed_total", "Lease renewals.", leases.renewed),
    counter("vaultlet_leases_expired_total", "Leases that reached their expiry.", leases.expired),
    counter("vaultlet_revocations_total", "Secrets revoked.", revocations.succeeded),
    counter("vaultlet_revocation_failures_total", "Failed revocation attempts.", revocations.failed),
    counter("vaultlet_leases_became_irrevocable_total", "Leases that became irrevocable.", revocations.becameIrrevocable),
    counter("vaultlet_tokens_created_total", "Tokens created.", tokens.created),
    counter("vaultlet_tokens_revoked_total", "Tokens revoked.", tokens.revoked),
    counter("vaultlet_quota_rejections_total", "Creds requests refused by max_leases.", quotas.rejected),
  ];
  return families.map(render).join("");
}

/** Serves `GET /metrics` for `engine`; resolves once listening (port 0 picks a free port). */
export async function startMetricsServer(engine: Engine, { port = 9464, host = "127.0.0.1" } = {}): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== "GET" || req.url?.split("?")[0] !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(formatPrometheus(engine.metrics()));
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, host, resolve));
  return server;
}

function gauge(name: string, help: string, samples: Family["samples"]): Family {
  return { name, help, type: "gauge", samples };
}

function counter(name: string, help: string, value: number): Family {
  return { name, help, type: "counter", samples: [{ value }] };
}

function render({ name, help, type, samples }: Family): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const { labels, value } of samples) lines.push(`${name}${formatLabels(labels)} ${value}`);
  return `${lines.join("\n")}\n`;
}

function formatLabels(labels: Labels | undefined): string {
  if (!labels) return "";
  const pairs = Object.entries(labels).map(([key, value]) => `${key}="${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return `{${pairs.join(",")}}`;
}

async function main(): Promise<void> {
  const engine = await Engine.open();
  await engine.initialize();
  const server = await startMetricsServer(engine, { port: Number(process.env.PORT ?? 9464) });
  const { address, port } = server.address() as AddressInfo;
  console.log(`metrics at http://${address}:${port}/metrics (Ctrl-C to stop)`);
  process.once("SIGINT", () => {
    server.close();
    void engine.close();
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
