import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../../src/errors.js";
import { connectionUsers, maskConnectionUrl, sameRoleName } from "../../../src/secrets/database/connection-url.js";
import { checkConnectionUrl } from "../../../src/secrets/database/plugins/postgres/connection-parameters.js";
import { useEngineFixture } from "../../support/engine-fixture.js";

const SECRET = "s3cr3t";

describe("maskConnectionUrl (issue 11, item 6)", () => {
  it.each([
    ["userinfo", `postgresql://admin:${SECRET}@db.example:5432/app`],
    ["raw @ in the password", `postgresql://admin:${SECRET}@tail${SECRET}@db.example/app`],
    ["raw : and % in the password", `postgresql://admin:${SECRET}:x%zz${SECRET}@db.example/app`],
    ["percent-encoded password", `postgresql://admin:${SECRET}%40${SECRET}@db.example/app`],
    ["?password=", `postgresql://admin@db.example/app?password=${SECRET}`],
    ["&password= after other parameters", `postgresql://db.example/app?user=admin&password=${SECRET}&sslmode=require`],
    ["raw & in a query password", `postgresql://db.example/app?password=${SECRET}&${SECRET}`],
    ["?password= before an @ in the query", `postgresql://db.example/app?password=${SECRET}&application_name=a@b`],
    ["raw /, ? in the userinfo password", `postgresql://admin:${SECRET}/?${SECRET}@db.example/app`],
    ["upper-case key", `postgresql://db.example/app?PASSWORD=${SECRET}`],
    ["sslpassword", `postgresql://db.example/app?sslpassword=${SECRET}`],
    ["keyword/value DSN", `host=db.example user=admin password=${SECRET} dbname=app`],
    ["keyword/value DSN with spaces around =", `host=db.example password = ${SECRET} dbname=app`],
    ["quoted keyword value", `host=db.example password='${SECRET} with \\' quote ${SECRET}' dbname=app`],
    ["unterminated quoted value", `host=db.example password='${SECRET} ${SECRET}`],
  ])("masks %s", (_form, url) => {
    const masked = maskConnectionUrl(url);
    expect(masked).not.toContain(SECRET);
    expect(masked).toContain("*****");
  });

  it("keeps what is not a password: templates, user, host, other parameters", () => {
    expect(maskConnectionUrl("postgresql://{{username}}:{{password}}@db:5432/app")).toBe("postgresql://{{username}}:{{password}}@db:5432/app");
    expect(maskConnectionUrl(`postgresql://admin:${SECRET}@db:5432/app?sslmode=require`)).toBe("postgresql://admin:*****@db:5432/app?sslmode=require");
    expect(maskConnectionUrl("postgresql://db:5432/app")).toBe("postgresql://db:5432/app");
    expect(maskConnectionUrl("host=db user=admin dbname=app")).toBe("host=db user=admin dbname=app");
  });
});

describe("connectionUsers and sameRoleName", () => {
  it("finds the login user in every form", () => {
    expect(connectionUsers("postgresql://{{username}}:{{password}}@db/app", "vault")).toEqual(["vault"]);
    expect(connectionUsers("postgresql://admin:pw@db/app", undefined)).toEqual(["admin"]);
    expect(connectionUsers("postgresql://adm%69n:pw@db/app", undefined)).toEqual(["admin"]);
    expect(connectionUsers("postgresql://admin@db/app", undefined)).toEqual(["admin"]);
    expect(connectionUsers("postgresql://db/app?user=admin&password=pw", undefined)).toEqual(["admin"]);
    expect(connectionUsers("host=db user='admin' password=pw", undefined)).toEqual(["admin"]);
    expect(connectionUsers("postgresql://db:5432/app", undefined)).toEqual([]);
  });

  it("compares role names without quotes or case", () => {
    expect(sameRoleName('"Postgres"', "postgres")).toBe(true);
    expect(sameRoleName("POSTGRES", "postgres")).toBe(true);
    expect(sameRoleName(" postgres ", "postgres")).toBe(true);
    expect(sameRoleName("postgres2", "postgres")).toBe(false);
  });
});

describe("checkConnectionUrl: a URL as pg will read it (issue 20, item 5)", () => {
  it.each([
    ["its own port past 65535", "postgresql://admin:pw@db:99999999/app", /port must be an integer from 1 to 65535/],
    ["its own port 0", "postgresql://admin:pw@db:0/app", /port must be an integer from 1 to 65535/],
    ["an IPv6 host's port past 65535", "postgresql://admin:pw@[::1]:70000/app", /port must be an integer from 1 to 65535/],
    ["a port parameter past 65535", "postgresql://admin:pw@db/app?port=99999999", /port must be an integer from 1 to 65535/],
    ["a repeated port parameter, one bad", "postgresql://db/app?port=5432&port=99999999", /port must be an integer from 1 to 65535/],
    ["connect_timeout=0", "postgresql://db/app?connect_timeout=0", /connect_timeout must be an integer from 1 to 300/],
    ["a statement_timeout with a unit", "postgresql://db/app?statement_timeout=5s", /statement_timeout must be an integer/],
    ["a query_timeout past a timer's range", "postgresql://db/app?query_timeout=9999999999", /query_timeout must be an integer/],
    ["a host list in host=", "postgresql:///app?host=h1,h2", /several hosts/],
    ["a host list in the authority", "postgresql://admin:pw@h1:5432,h2:5433/app", /several hosts/],
    ["target_session_attrs=read-write", "postgresql://db/app?target_session_attrs=read-write", /target_session_attrs other than "any"/],
    ["text pg cannot read as a URL", "postgresql://admin:pw@d|b/app", /not a URL the driver can read/],
  ])("refuses %s, naming the key and no value", (_what, url, message) => {
    expect(() => checkConnectionUrl(url)).toThrow(InvalidRequestError);
    expect(() => checkConnectionUrl(url)).toThrow(message);
    expect(() => checkConnectionUrl(url)).not.toThrow(/99999999|70000|read-write|5s|9999999999|d\|b/);
  });

  it("takes what pg reads (the last of a repeated parameter) and leaves good URLs alone", () => {
    expect(checkConnectionUrl("postgresql://{{username}}:{{password}}@db:5432/app")).toEqual({ connectTimeoutMs: 10_000, keepAlive: true, keepAliveInitialDelayMillis: 0 });
    expect(checkConnectionUrl("postgresql://admin:pw@[::1]:5432/app?connect_timeout=5&connect_timeout=2&keepalives=0")).toMatchObject({ connectTimeoutMs: 2_000, keepAlive: false });
    expect(checkConnectionUrl("postgresql://admin:pw@/app?host=/var/run/postgresql&port=5433")).toMatchObject({ connectTimeoutMs: 10_000 });
    expect(checkConnectionUrl("/var/run/postgresql app")).toMatchObject({ connectTimeoutMs: 10_000 });
  });
});

const freshEngine = useEngineFixture({ role: false });

describe("the config read route masks every password (issue 11, item 6)", () => {
  it.each([
    `fake://admin:${SECRET}@tail${SECRET}@nowhere`,
    `fake://nowhere/app?user=admin&password=${SECRET}`,
    `host=nowhere user=admin password=${SECRET}`,
  ])("%s", async (connection_url) => {
    const { root } = await freshEngine();
    await root.write("database/config/raw", { plugin_name: "fake-database-plugin", connection_url, verify_connection: false, allowed_roles: "*" });
    const read = await root.read("database/config/raw");
    expect(JSON.stringify(read)).not.toContain(SECRET);
  });
});

describe("a static role never takes over the connection's admin (issue 11, item 5)", () => {
  it.each([
    ["username field", { username: "admin", password: "pw", connection_url: "fake://{{username}}:{{password}}@nowhere" }, "admin"],
    ["user in the URL", { connection_url: "fake://admin:pw@nowhere" }, "admin"],
    ["percent-encoded user in the URL", { connection_url: "fake://%61dmin:pw@nowhere" }, "admin"],
    ["user= query parameter", { connection_url: "fake://nowhere/app?user=admin&password=pw" }, "admin"],
    ["keyword DSN", { connection_url: "host=nowhere user=admin password=pw" }, "admin"],
    ["upper-case variant", { connection_url: "fake://admin:pw@nowhere" }, "ADMIN"],
    ["quoted variant", { connection_url: "fake://admin:pw@nowhere" }, '"admin"'],
  ])("refuses it given as %s", async (_form, config, username) => {
    const { root, db } = await freshEngine();
    db.users.set("admin", { password: "pw", expiration: new Date(8e15) });
    await root.write("database/config/admin", { plugin_name: "fake-database-plugin", verify_connection: false, allowed_roles: "*", ...config });
    await expect(root.write("database/static-roles/app", { db_name: "admin", username, rotation_period: "1h" })).rejects.toMatchObject({
      code: "invalid_request",
      message: expect.stringMatching(/connection's own user/),
    });
    expect(db.users.get("admin")?.password).toBe("pw");
    await expect(root.read("database/static-roles/app")).rejects.toMatchObject({ code: "not_found" });
  });
});
