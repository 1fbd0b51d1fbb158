/**
 * A monolith that holds no database password: a small `node:http` service that embeds the
 * engine, reads its PostgreSQL credentials through a credential pool, and keeps serving while
 * they renew and rotate underneath it.
 *
 * At start it (1) opens an engine and configures the database secrets engine with the admin
 * connection, (2) creates its table as the admin, (3) gives itself a token that may only read
 * `database/creds/app` — the guide's `apps` policy — and (4) opens a credential pool with that
 * token. Its routes then run through the pool:
 *
 * - `POST /notes` with `{"body": "…"}` inserts a note, `GET /notes` lists them;
 * - `GET /health` shows the database user the pool logs in with, its lease expiry and how many
 *   rotations happened (never a password).
 *
 * ```sh
 * DATABASE_URL=postgresql://postgres:secret@127.0.0.1:5432/app npx tsx examples/credential-pool-monolith.ts
 * curl -s -XPOST localhost:8080/notes -d '{"body":"hello"}'; curl -s localhost:8080/health
 * ```
 *
 * A test drives it with a `ManualClock` across rotations (test/integration/credential-pool/monolith.test.ts).
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { Engine, openCredentialPool, type Clock, type CredentialPool } from "../src/index.js";

/** Options of {@link startMonolith}. */
export interface MonolithOptions {
  /** The admin connection (superuser, or a role with CREATEROLE that owns the schema). */
  databaseUrl: string;
  /** The port to listen on (default 8080; 0 picks a free one). */
  port?: number;
  /** The engine's clock (default: the system clock; tests pass a `ManualClock`). */
  clock?: Clock;
  /** The credentials' lifetime: `default_ttl` and `max_ttl` of the role (default 1h and 24h). */
  ttl?: { default: string; max: string };
}

/** A running monolith. */
export interface Monolith {
  /** The base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  engine: Engine;
  pool: CredentialPool<pg.Pool>;
  /** Stops the server, ends the pool (revoking its leases), and closes the engine. */
  close(): Promise<void>;
}

/** What `database/creds/app` creates: a login valid until the lease ends, allowed to use the notes table. */
const CREATION_STATEMENTS = [
  `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
  `GRANT SELECT, INSERT ON notes TO "{{name}}";`,
  `GRANT USAGE ON SEQUENCE notes_id_seq TO "{{name}}";`,
];

/** Starts the service; resolves once it listens. */
export async function startMonolith(options: MonolithOptions): Promise<Monolith> {
  const admin = new URL(options.databaseUrl);
  await migrate(options.databaseUrl);
  const engine = await Engine.open({ clock: options.clock });
  try {
    const root = engine.client((await engine.initialize()).rootToken);
    await root.write("sys/mounts/database", { type: "database" });
    await root.write("database/config/app", {
      plugin_name: "postgresql-database-plugin",
      allowed_roles: "app",
      connection_url: `postgresql://{{username}}:{{password}}@${admin.host}${admin.pathname}`,
      username: decodeURIComponent(admin.username),
      password: decodeURIComponent(admin.password),
    });
    await root.write("database/roles/app", {
      db_name: "app",
      creation_statements: CREATION_STATEMENTS,
      default_ttl: options.ttl?.default ?? "1h",
      max_ttl: options.ttl?.max ?? "24h",
    });
    await root.write("sys/policy/apps", { policy: 'path "database/creds/app" { capabilities = ["read"] }' });
    const { auth } = await root.write("auth/token/create", { policies: ["apps"], no_default_policy: true });
    const pool = await openCredentialPool<pg.Pool>(engine.client(auth!.client_token), {
      path: "database/creds/app",
      connection: { host: admin.hostname, port: Number(admin.port || 5432), database: admin.pathname.slice(1) },
      max: 5,
    });
    pool.on("error", () => undefined); // an idle connection cut by the server: the pool replaces it
    const state: ServiceState = { pool, rotations: 0 };
    pool.on("rotate", () => void state.rotations++);
    const server = createServer((req, res) => void serve(state, req, res));
    await new Promise<void>((ready) => server.listen(options.port ?? 8080, "127.0.0.1", ready));
    const { port } = server.address() as { port: number };
    return {
      url: `http://127.0.0.1:${port}`,
      engine,
      pool,
      async close() {
        await closeServer(server);
        await pool.end();
        await engine.close();
      },
    };
  } catch (error) {
    await engine.close();
    throw error;
  }
}

/** The schema, created by the admin: the app's generated users only get privileges on it. */
async function migrate(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("CREATE TABLE IF NOT EXISTS notes (id serial PRIMARY KEY, body text NOT NULL, author text NOT NULL DEFAULT current_user)");
  } finally {
    await client.end();
  }
}

/** What the routes use: the pool, and how many rotations it went through. */
interface ServiceState {
  pool: CredentialPool<pg.Pool>;
  rotations: number;
}

async function serve({ pool, rotations }: ServiceState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    if (req.method === "GET" && req.url === "/health") {
      const { username, expiresAt } = pool.credentials;
      return reply(res, 200, { username, expiresAt: expiresAt.toISOString(), rotations });
    }
    if (req.method === "GET" && req.url === "/notes") {
      const { rows } = await pool.query("SELECT id, body, author FROM notes ORDER BY id");
      return reply(res, 200, { notes: rows });
    }
    if (req.method === "POST" && req.url === "/notes") {
      const { body } = JSON.parse(await readBody(req)) as { body?: unknown };
      if (typeof body !== "string" || body.length === 0) return reply(res, 400, { error: "body must be a non-empty string" });
      const { rows } = await pool.query("INSERT INTO notes (body) VALUES ($1) RETURNING id, author", [body]);
      return reply(res, 201, rows[0]);
    }
    reply(res, 404, { error: "not found" });
  } catch {
    reply(res, 500, { error: "internal error" }); // never echo a driver's error: it may quote SQL
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function closeServer(server: Server): Promise<void> {
  return new Promise((done) => {
    server.close(() => done());
    server.closeAllConnections();
  });
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? "")).href) {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.error("set DATABASE_URL to an admin connection, e.g. postgresql://postgres:secret@127.0.0.1:5432/app");
    process.exit(1);
  }
  const monolith = await startMonolith({ databaseUrl, port: Number(process.env.PORT ?? 8080) });
  monolith.pool.on("rotate", ({ previous, current }) => console.log(`rotated: ${previous.username} -> ${current.username}`));
  console.log(`listening on ${monolith.url}; database user ${monolith.pool.credentials.username}`);
  const stop = () => void monolith.close().then(() => process.exit(0));
  process.on("SIGINT", stop).on("SIGTERM", stop);
}
