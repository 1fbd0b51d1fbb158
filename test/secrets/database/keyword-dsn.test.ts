/** libpq keyword/value strings: the quoting rules, and what reaches `pg`. */
import { describe, expect, it } from "vitest";
import { parse } from "pg-connection-string";
import { InvalidRequestError } from "../../../src/errors.js";
import { isKeywordDsn, keywordPairsToUrl, parseKeywordDsn } from "../../../src/secrets/database/plugins/postgres/keyword-dsn.js";
import { idleCap } from "../../../src/secrets/database/plugins/postgres/idle-capped-pool.js";

describe("keyword/value DSNs", () => {
  it("tells them from URLs", () => {
    expect(isKeywordDsn("host=db dbname=app")).toBe(true);
    expect(isKeywordDsn("postgresql://u@db/app?sslmode=disable")).toBe(false);
    expect(isKeywordDsn("")).toBe(false);
  });

  it("reads plain, spaced and single-quoted values with \\' and \\\\", () => {
    expect(parseKeywordDsn(`host=db  port = 5433 password='it\\'s a \\\\ test' user=app\\ x application_name=''`)).toEqual([
      { key: "host", value: "db" },
      { key: "port", value: "5433" },
      { key: "password", value: "it's a \\ test" },
      { key: "user", value: "app x" },
      { key: "application_name", value: "" },
    ]);
  });

  it("turns pairs into the URL pg reads, a password never able to add a parameter", () => {
    const url = keywordPairsToUrl([
      { key: "host", value: "db.internal" },
      { key: "dbname", value: "my app" },
      { key: "user", value: "vault" },
      { key: "password", value: "p&host=evil sslmode=disable" },
      { key: "sslmode", value: "require" },
    ]);
    expect(parse(url)).toMatchObject({ host: "db.internal", port: "5432", database: "my app", user: "vault", password: "p&host=evil sslmode=disable", sslmode: "require" });
  });

  it.each([
    ["host=db dbname", /missing "=" after "dbname"/],
    ["host='db", /unterminated quoted value of "host"/],
    ["=x", /cannot read a keyword/],
  ])("refuses %s", (text, message) => {
    expect(() => parseKeywordDsn(text)).toThrow(InvalidRequestError);
    expect(() => parseKeywordDsn(text)).toThrow(message);
  });

  it("refuses keywords pg would ignore, repeated ones, and host lists", () => {
    expect(() => keywordPairsToUrl([{ key: "gssencmode", value: "disable" }])).toThrow(/"gssencmode" is not supported/);
    expect(() => keywordPairsToUrl([{ key: "host", value: "a" }, { key: "host", value: "b" }])).toThrow(/given twice/);
    expect(() => keywordPairsToUrl([{ key: "host", value: "a,b" }])).toThrow(/several hosts/);
  });
});

describe("max_idle_connections as Vault means it", () => {
  it("0 = max_open_connections, negative = none, above max_open_connections = max_open_connections", () => {
    expect(idleCap(0, 4)).toBe(4);
    expect(idleCap(-1, 4)).toBe(0);
    expect(idleCap(2, 4)).toBe(2);
    expect(idleCap(10, 4)).toBe(4);
  });
});
