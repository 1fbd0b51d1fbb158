/**
 * The seed guide's own `curl` payloads, replayed over HTTP with `fetch` against the example server
 * on a real PostgreSQL, and the HTTP semantics a Vault user relies on (status codes, envelopes).
 */
import { connect } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Engine, ManualClock, MemoryStorage } from "../../../src/index.js";
import { useTestDatabase } from "../../support/database.js";
import { serveOnLoopback, type RunningServer } from "../../server/serve.js";

const db = useTestDatabase();

/** Step 3's payload exactly as the guide prints it: `db_name` "postgres", single-quoted names. */
const GUIDE_ROLE_PAYLOAD = {
  db_name: "postgres",
  creation_statements:
    "CREATE ROLE '{{name}}' WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO '{{name}}';",
  default_ttl: "1h",
  max_ttl: "24h",
};

/** The same role as the guide's `readonly.sql` (double-quoted identifiers), for the success path. */
const CORRECT_ROLE_PAYLOAD = {
  db_name: "postgresql",
  creation_statements:
    "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"{{name}}\";",
  default_ttl: "1h",
  max_ttl: "24h",
};

/** Step 4's policy payload, byte for byte. */
const GUIDE_POLICY_PAYLOAD = '{ "policy": "path \\"database/creds/readonly\\" {capabilities = [ \\"read\\" ]}" }';

let engine: Engine;
let server: RunningServer;
let rootToken: string;

interface HttpAnswer {
  status: number;
  text: string;
  json: Record<string, any> | undefined;
  headers: Headers;
}

/** `curl --header "X-Vault-Token: …" --request <method> --data <body> <addr>/v1/<path>`. */
async function curl(method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers["X-Vault-Token"] = options.token;
  const body = options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  const response = await fetch(`${server.address}/v1/${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, text, json: text ? (JSON.parse(text) as Record<string, any>) : undefined, headers: response.headers };
}

function guideConfigPayload() {
  // The guide puts the root credentials in the URL itself: postgresql://root:rootpassword@localhost:5432/myapp
  return {
    plugin_name: "postgresql-database-plugin",
    allowed_roles: "readonly",
    connection_url: db.urlFor(db.user, db.password),
  };
}

async function generatedRoles(): Promise<string[]> {
  const { rows } = await db.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname LIKE 'v-%'");
  return rows.map((row) => row.rolname);
}

/** Steps 1 and 2 with the guide's payloads. */
async function mountAndConfigure(): Promise<void> {
  expect((await curl("POST", "sys/mounts/database", { token: rootToken, body: '{"type":"database"}' })).status).toBe(204);
  expect((await curl("POST", "database/config/postgresql", { token: rootToken, body: guideConfigPayload() })).status).toBe(204);
}

/** Step 4 (admin half) with the guide's payloads; returns the apps token. */
async function appsToken(): Promise<string> {
  expect((await curl("PUT", "sys/policy/apps", { token: rootToken, body: GUIDE_POLICY_PAYLOAD })).status).toBe(204);
  const created = await curl("POST", "auth/token/create", { token: rootToken, body: '{"policies": ["apps"]}' });
  return created.json!.auth.client_token as string;
}

beforeAll(async () => {
  await db.query("CREATE TABLE products (id int PRIMARY KEY, name text)");
});

beforeEach(async () => {
  engine = await Engine.open({ storage: new MemoryStorage(), clock: new ManualClock() });
  ({ rootToken } = await engine.initialize());
  server = await serveOnLoopback(engine);
});

afterEach(async () => {
  await server.close();
  await engine.close();
});

afterAll(async () => {
  for (const role of await generatedRoles()) await db.query(`DROP OWNED BY "${role}"; DROP ROLE "${role}"`);
});

describe("the seed guide's curl payloads over HTTP", () => {
  it("Steps 1–4 answer with the guide's envelopes", async () => {
    await mountAndConfigure();
    const config = await curl("GET", "database/config/postgresql", { token: rootToken });
    expect(config.status).toBe(200);
    expect(config.json!.data.connection_details.connection_url).toContain(":*****@");
    expect(config.text).not.toContain(db.password);
    expect((await curl("POST", "database/roles/readonly", { token: rootToken, body: CORRECT_ROLE_PAYLOAD })).status).toBe(204);

    const token = await curl("POST", "auth/token/create", { token: rootToken, body: '{"policies": ["apps"]}' });
    expect(token.status).toBe(200);
    expect(token.json).toEqual({
      request_id: expect.any(String),
      lease_id: "",
      renewable: false,
      lease_duration: 0,
      data: null,
      wrap_info: null,
      warnings: null,
      auth: expect.objectContaining({
        client_token: expect.any(String),
        accessor: expect.any(String),
        policies: expect.arrayContaining(["apps", "default"]),
        metadata: null,
        lease_duration: expect.any(Number),
        renewable: true,
        entity_id: "",
      }),
    });
    expect(token.json!.auth.lease_duration).toBeGreaterThan(0);

    const appsTokenValue = await appsToken();
    const creds = await curl("GET", "database/creds/readonly", { token: appsTokenValue });
    expect(creds.status).toBe(200);
    expect(creds.headers.get("content-type")).toBe("application/json");
    expect(creds.json).toEqual({
      request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      lease_id: expect.stringMatching(/^database\/creds\/readonly\/.+/),
      renewable: true,
      lease_duration: 3600,
      data: { username: expect.stringMatching(/^v-token-readonly-/), password: expect.any(String) },
      wrap_info: null,
      warnings: null,
      auth: null,
    });
    const login = await db.connectAs(creds.json!.data.username, creds.json!.data.password);
    await expect(login.query("SELECT count(*) FROM products")).resolves.toBeDefined();
  });

  it("the guide's role payload as printed (db_name \"postgres\") is a clear 400", async () => {
    await mountAndConfigure();
    const answer = await curl("POST", "database/roles/readonly", { token: rootToken, body: GUIDE_ROLE_PAYLOAD });
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ errors: [expect.stringContaining('"postgres"')] });
  });

  it("single-quoted role names fail at creds time with PostgreSQL's error, no secret, nothing left", async () => {
    await mountAndConfigure();
    const role = { ...GUIDE_ROLE_PAYLOAD, db_name: "postgresql" };
    expect((await curl("POST", "database/roles/readonly", { token: rootToken, body: role })).status).toBe(204);
    const before = await generatedRoles();
    const answer = await curl("GET", "database/creds/readonly", { token: rootToken });
    expect(answer.status).toBe(500);
    expect(answer.json).toEqual({ errors: [expect.stringMatching(/syntax error/)] });
    expect(answer.text).not.toContain(db.password);
    expect(answer.text).not.toContain(rootToken);
    expect(await generatedRoles()).toEqual(before);
    expect((await curl("LIST", "sys/leases/lookup/database/creds/readonly", { token: rootToken })).status).toBe(404);
  });

  it("renew, revoke and revoke-prefix over HTTP as the CLI sends them", async () => {
    await mountAndConfigure();
    await curl("POST", "database/roles/readonly", { token: rootToken, body: CORRECT_ROLE_PAYLOAD });
    const apps = await appsToken();
    const first = (await curl("GET", "database/creds/readonly", { token: apps })).json!;
    const renewed = await curl("PUT", "sys/leases/renew", { token: apps, body: { lease_id: first.lease_id, increment: "1h" } });
    expect(renewed.json).toMatchObject({ lease_id: first.lease_id, lease_duration: 3600, renewable: true, data: null });
    expect((await curl("PUT", "sys/leases/revoke", { token: rootToken, body: { lease_id: first.lease_id } })).status).toBe(204);
    expect(await generatedRoles()).not.toContain(first.data.username);
    const second = (await curl("GET", "database/creds/readonly", { token: apps })).json!;
    const listed = await curl("GET", "sys/leases/lookup/database/creds/readonly?list=true", { token: rootToken });
    expect(listed.json!.data.keys).toEqual([second.lease_id.split("/").pop()]);
    expect((await curl("PUT", "sys/leases/revoke-prefix/database/creds/readonly", { token: rootToken })).status).toBe(204);
    expect(await generatedRoles()).not.toContain(second.data.username);
  });
});

describe("HTTP semantics", () => {
  it("answers 403 without a token, with a bad token, and for an apps token off its path", async () => {
    await mountAndConfigure();
    const apps = await appsToken();
    for (const answer of [
      await curl("GET", "sys/mounts"),
      await curl("GET", "sys/mounts", { token: "not-a-token" }),
      await curl("POST", "database/roles/readonly", { token: apps, body: CORRECT_ROLE_PAYLOAD }),
    ]) {
      expect(answer.status).toBe(403);
      expect(answer.json).toEqual({ errors: [expect.stringMatching(/permission denied/)] });
    }
  });

  it("takes the token from Authorization: Bearer too", async () => {
    const answer = await curl("GET", "sys/mounts", { headers: { Authorization: `Bearer ${rootToken}` } });
    expect(answer.status).toBe(200);
    expect(answer.json!.data).toHaveProperty("sys/");
  });

  it("refuses malformed JSON, non-object bodies and oversized bodies with a clear error", async () => {
    const malformed = await curl("POST", "sys/mounts/database", { token: rootToken, body: '{"type": "database"' });
    expect(malformed.status).toBe(400);
    expect(malformed.json!.errors[0]).toMatch(/^failed to parse JSON input/);
    expect((await curl("POST", "sys/mounts/database", { token: rootToken, body: '["database"]' })).status).toBe(400);
    const small = await serveOnLoopback(engine, { maxBodyBytes: 64 });
    try {
      const response = await fetch(`${small.address}/v1/sys/mounts/database`, {
        method: "POST",
        headers: { "X-Vault-Token": rootToken },
        body: JSON.stringify({ type: "database", description: "x".repeat(200) }),
      });
      expect(response.status).toBe(413);
      expect(await response.json()).toEqual({ errors: [expect.stringMatching(/too large/)] });
    } finally {
      await small.close();
    }
    expect((await curl("GET", "sys/mounts/database", { token: rootToken })).status).toBe(404); // nothing was mounted
  });

  it("answers 404 for unknown paths, 405 for unsupported methods and operations", async () => {
    await mountAndConfigure();
    expect((await curl("GET", "nothing/here", { token: rootToken })).status).toBe(404);
    const outside = await fetch(`${server.address}/v2/sys/mounts`);
    expect(outside.status).toBe(404);
    expect(((await outside.json()) as { errors: string[] }).errors).toHaveLength(1);
    expect((await curl("OPTIONS", "sys/mounts", { token: rootToken })).status).toBe(405);
    const deleteCreds = await curl("DELETE", "database/creds/readonly", { token: rootToken });
    expect(deleteCreds.status).toBe(405);
    expect(deleteCreds.json).toEqual({ errors: [expect.any(String)] });
  });

  it("serves LIST on a kept-alive connection and keeps serving afterwards", async () => {
    await mountAndConfigure();
    await curl("POST", "database/roles/readonly", { token: rootToken, body: CORRECT_ROLE_PAYLOAD });
    const answers = await Promise.all([
      curl("LIST", "database/roles", { token: rootToken }),
      curl("GET", "database/roles?list=true", { token: rootToken }),
      curl("GET", "database/roles/readonly", { token: rootToken }),
      curl("LIST", "database/roles/", { token: rootToken }),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    expect(answers[0]!.json!.data.keys).toEqual(["readonly"]);
    expect(answers[3]!.json).toEqual(answers[0]!.json && { ...answers[0]!.json, request_id: expect.any(String) });
  });

  it("takes a policy as `rules` on sys/policy/<name>, with Vault's deprecation warning", async () => {
    const written = await curl("PUT", "sys/policy/legacy", { token: rootToken, body: { rules: 'path "database/creds/readonly" { capabilities = ["read"] }' } });
    expect(written.status).toBe(200);
    expect(written.json!.warnings).toEqual([expect.stringMatching(/'rules' is deprecated/)]);
    const read = await curl("GET", "sys/policy/legacy", { token: rootToken });
    expect(read.json).toMatchObject({ rules: expect.stringContaining("database/creds/readonly"), data: { name: "legacy" } });
    expect((await curl("PUT", "sys/policies/acl/other", { token: rootToken, body: { rules: "path" } })).status).toBe(400);
  });

  it("answers LIST from raw bytes: the envelope, 403 without a token, and 400 for other unknown methods", async () => {
    const raw = async (request: string): Promise<string> => {
      const socket = connect(Number(new URL(server.address).port), "127.0.0.1");
      socket.end(request);
      let text = "";
      for await (const chunk of socket) text += String(chunk);
      return text;
    };
    const listed = await raw(`LIST /v1/sys/policy HTTP/1.1\r\nHost: x\r\nX-Vault-Token: ${rootToken}\r\n\r\n`);
    expect(listed).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(listed).toMatch(/\r\nConnection: close\r\n/);
    expect(JSON.parse(listed.slice(listed.indexOf("\r\n\r\n") + 4)).data.keys).toEqual(["default", "root"]);
    const anonymous = await raw("LIST /v1/sys/policy HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(anonymous).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(anonymous).toContain('{"errors":["permission denied');
    expect(await raw("FROB /v1/sys/policy HTTP/1.1\r\nHost: x\r\n\r\n")).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  });

  it("probes sys/health without a token", async () => {
    const answer = await curl("GET", "sys/health");
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ initialized: true, sealed: false, standby: false });
  });
});
