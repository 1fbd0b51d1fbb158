/**
 * `npx tsx bench/http-server.ts`: what the example HTTP server costs on top of in-process calls.
 *
 * Two paths, each run in-process (`engine.client(token)`) and over HTTP (a keep-alive `node:http`
 * client in the same process, one request at a time) against the example server on 127.0.0.1:
 * - `sys/mounts` reads: no database, so the figure is the HTTP layer's own cost;
 * - `database/creds/readonly` reads + revoke: a real PostgreSQL user per call (PG_URL, or an
 *   embedded PostgreSQL started here).
 *
 * Bounded: 3000 reads and 150 creds per side after a warm-up.
 */
import { Agent, request } from "node:http";
import type { AddressInfo } from "node:net";
import { Engine, MemoryStorage, type Client } from "../src/index.js";
import { createVaultHttpServer } from "../examples/vault-http-server.js";
import { createDatabase, startPostgres } from "../test/support/postgres-server.js";

const READS = 3000;
const CREDS = 150;

async function perSecond(count: number, call: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(50, count); i++) await call(); // warm-up
  const started = performance.now();
  for (let i = 0; i < count; i++) await call();
  return count / ((performance.now() - started) / 1000);
}

/** A keep-alive node:http client (what axios-based clients such as node-vault use underneath). */
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function httpJson(address: string, token: string, method: string, path: string, body?: unknown): Promise<Record<string, any>> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolveAnswer, reject) => {
    const req = request(`${address}/v1/${path}`, { method, agent, headers: { "X-Vault-Token": token } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        if ((res.statusCode ?? 500) >= 400) reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
        else resolveAnswer(text ? (JSON.parse(text) as Record<string, any>) : {});
      });
    });
    req.on("error", reject);
    req.end(payload);
  });
}

async function main(): Promise<void> {
  const server = await startPostgres();
  const app = await createDatabase(server, `bench_http_${Date.now().toString(36)}`);
  const engine = await Engine.open({ storage: new MemoryStorage() });
  const http = createVaultHttpServer(engine);
  try {
    const { rootToken } = await engine.initialize();
    const root: Client = engine.client(rootToken);
    await root.write("sys/mounts/database", { type: "database" });
    await root.write("database/config/postgresql", {
      plugin_name: "postgresql-database-plugin",
      allowed_roles: "readonly",
      connection_url: `postgresql://{{username}}:{{password}}@${server.host}:${server.port}/${app.name}`,
      username: server.user,
      password: server.password,
    });
    await root.write("database/roles/readonly", { db_name: "postgresql", creation_statements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`], default_ttl: "1h" });
    await new Promise<void>((ready) => http.listen(0, "127.0.0.1", ready));
    const address = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

    const readsInProcess = await perSecond(READS, () => root.read("sys/mounts"));
    const readsHttp = await perSecond(READS, () => httpJson(address, rootToken, "GET", "sys/mounts"));
    const credsInProcess = await perSecond(CREDS, async () => {
      const creds = await root.read("database/creds/readonly");
      await root.write("sys/leases/revoke", { lease_id: creds.lease_id });
    });
    const credsHttp = await perSecond(CREDS, async () => {
      const creds = await httpJson(address, rootToken, "GET", "database/creds/readonly");
      await httpJson(address, rootToken, "PUT", "sys/leases/revoke", { lease_id: creds.lease_id });
    });
    const row = (label: string, inProcess: number, overHttp: number) =>
      console.log(`${label.padEnd(34)} ${inProcess.toFixed(0).padStart(8)}/s ${overHttp.toFixed(0).padStart(8)}/s   ${(overHttp / inProcess).toFixed(2)}`);
    console.log(`PostgreSQL: ${server.kind}; Node ${process.version}`);
    console.log(`${"path".padEnd(34)} ${"in-proc".padStart(10)} ${"HTTP".padStart(10)}   HTTP÷in-proc`);
    row(`GET sys/mounts (${READS})`, readsInProcess, readsHttp);
    row(`creds + revoke (${CREDS})`, credsInProcess, credsHttp);
  } finally {
    http.close();
    http.closeAllConnections();
    agent.destroy();
    await engine.close();
    await app.drop();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
