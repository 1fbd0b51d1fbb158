/** libpq keyword/value strings: the quoting rules, and what reaches `pg`. */
import { describe, expect, it } from "vitest";
import { parse } from "pg-connection-string";
import { InvalidRequestError } from "../../../src/errors.js";
import { isKeywordDsn, keywordPairsToUrl, parseKeywordDsn } from "../../../src/secrets/database/plugins/postgres/keyword-dsn.js";
import { checkConnectionUrl } from "../../../src/secrets/database/plugins/postgres/connection-parameters.js";
import { idleCap } from "../../../src/secrets/database/plugins/postgres/idle-capped-pool.js";

/** What a keyword/value string becomes before a pool is built: its URL, checked. */
function readDsn(text: string) {
  const url = keywordPairsToUrl(parseKeywordDsn(text));
  return { url, options: checkConnectionUrl(url) };
}

describe("keyword/value DSNs", () => {
  it("tells them from URLs", () => {
    expect(isKeywordDsn("host=db dbname=app")).toBe(true);
    expect(isKeywordDsn("postgresql://u@db/app?sslmode=disable")).toBe(false);
    expect(isKeywordDsn("")).toBe(false);
  });

  it("reads plain, spaced and single-quoted values with \\' and \\\\", () => {
    expect(parseKeywordDsn(`host=db  port = 5433 password='it\\'s a \\\\ test' user=app\\ x application_name=''`)).toEqual([
      { key: "host", value: "db", position: 1 },
      { key: "port", value: "5433", position: 10 },
      { key: "password", value: "it's a \\ test", position: 22 },
      { key: "user", value: "app x", position: 49 },
      { key: "application_name", value: "", position: 61 },
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

  it.each([
    ["a second word of an unquoted password", "host=db password=hunter Zq7xK9wP dbname=app", /missing "=" after the word at character 25/],
    ["a second word that looks like a pair", "host=db password=hunter Zq7xK9wP=x", /the word at character 25 is not a libpq keyword/],
    ["text after a quote closed too early", "host=db password='hunter'Zq7xK9wP' dbname=app", /missing "=" after the word at character 26/],
    ["a password where a keyword belongs", "host=db Zq7xK9wP", /missing "=" after the word at character 9/],
    ["an unterminated quote after a password's second word", "host=db password=a Zq7xK9wP='b", /unterminated quoted value of the word at character 20/],
  ])("names %s by its position, never quoting it (it may be part of a password)", (_what, text, message) => {
    expect(() => readDsn(text)).toThrow(InvalidRequestError);
    expect(() => readDsn(text)).toThrow(message);
    expect(() => readDsn(text)).not.toThrow(/Zq7xK9wP/);
  });

  it.each([
    ["port=99999999", /port must be an integer from 1 to 65535/],
    ["port=0", /port must be an integer from 1 to 65535/],
    ["port=5432abc", /port must be an integer from 1 to 65535/],
    ["port=-1", /port must be an integer from 1 to 65535/],
    ["connect_timeout=0", /connect_timeout must be an integer from 1 to 300/],
    ["connect_timeout=301", /connect_timeout must be an integer from 1 to 300/],
    ["connect_timeout=2.5", /connect_timeout must be an integer from 1 to 300/],
    ["keepalives=2", /keepalives must be an integer from 0 to 1/],
    ["keepalives_idle=ten", /keepalives_idle must be an integer/],
  ])("refuses %s, naming the key and not the value", (pair, message) => {
    expect(() => readDsn(`host=db ${pair}`)).toThrow(message);
    expect(() => readDsn(`host=db ${pair}`)).not.toThrow(pair.slice(pair.indexOf("=")));
  });

  it("honours connect_timeout, keepalives and keepalives_idle (which pg itself ignores), with libpq's defaults", () => {
    expect(readDsn("host=db").options).toEqual({ connectTimeoutMs: 10_000, keepAlive: true, keepAliveInitialDelayMillis: 0 });
    expect(readDsn("host=db port=65535 connect_timeout=3 keepalives=0 keepalives_idle=45").options).toEqual({
      connectTimeoutMs: 3_000,
      keepAlive: false,
      keepAliveInitialDelayMillis: 45_000,
    });
  });

  it("refuses keywords pg would ignore, repeated ones, and host lists", () => {
    expect(() => keywordPairsToUrl([{ key: "gssencmode", value: "disable" }])).toThrow(/"gssencmode" is not supported/);
    expect(() => keywordPairsToUrl([{ key: "host", value: "db" }, { key: "Zq7xK9wP", value: "x" }])).toThrow(/the keyword of pair 2 is not a libpq keyword/);
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
