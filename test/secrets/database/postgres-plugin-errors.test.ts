/**
 * How the PostgreSQL plugin turns driver errors into `PluginError`s: redacted, and `refused` only
 * when the server answered with a statement error (so nothing changed).
 */
import { describe, expect, it } from "vitest";
import { PluginError } from "../../../src/index.js";
import { pluginError } from "../../../src/secrets/database/plugins/postgres/sanitize.js";

/** What `pg` rejects with when the server refuses a statement. */
function serverError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, severity: "ERROR" });
}

describe("pluginError (PostgreSQL)", () => {
  it("marks a statement the server refused as refused, keeping only the SQLSTATE as cause", () => {
    const error = pluginError("creating the database user failed", serverError("22P02", 'invalid input syntax for type integer: "s3cret"'), ["s3cret"]);
    expect(error).toBeInstanceOf(PluginError);
    expect(error.refused).toBe(true);
    expect(error.message).toBe('creating the database user failed: invalid input syntax for type integer: "[redacted]"');
    expect(error.cause).toEqual({ code: "22P02" });
  });

  it.each([
    ["a refused connection", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" })],
    ["a broken pipe (a Node code shaped like a SQLSTATE)", Object.assign(new Error("write EPIPE"), { code: "EPIPE" })],
    ["a connection timeout", new Error("Connection terminated due to connection timeout")],
    ["a connection lost mid-transaction (class 08)", serverError("08006", "connection failure")],
    ["a server shutting down (class 57)", serverError("57P01", "terminating connection due to administrator command")],
  ])("does not call %s refused: the outcome is unknown", (_what, err) => {
    const error = pluginError("renewing the database user failed", err, []);
    expect(error).toBeInstanceOf(PluginError);
    expect(error.refused).toBe(false);
  });

  it.each([
    ["a refused connection", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" })],
    ["a reset connection", Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })],
    ["a connection that timed out", Object.assign(new Error("connect ETIMEDOUT"), { code: "ETIMEDOUT" })],
    ["a pool that could not connect in time", new Error("timeout exceeded when trying to connect")],
    ["a connection the server ended", new Error("Connection terminated unexpectedly")],
    ["a connection exception (class 08)", serverError("08006", "connection failure")],
    ["an administrator shutdown (57P01)", serverError("57P01", "terminating connection due to administrator command")],
    ["a server still starting (57P03)", serverError("57P03", "the database system is starting up")],
  ])("calls %s unreachable: not the lease's fault", (_what, err) => {
    const error = pluginError("revoking the database user failed", err, []);
    expect(error.unreachable).toBe(true);
    expect(error.refused).toBe(false);
  });

  it.each([
    ["a refused statement", serverError("42704", 'role "x" does not exist')],
    ["a statement timeout (57014): the statement's, not the server's", serverError("57014", "canceling statement due to statement timeout")],
    ["a programming error", new TypeError("cannot read properties of undefined")],
  ])("does not call %s unreachable", (_what, err) => {
    expect(pluginError("revoking the database user failed", err, []).unreachable).toBe(false);
  });

  it("passes a PluginError the plugin threw itself through unchanged", () => {
    const own = new PluginError('the database user "x" does not exist', { refused: true });
    expect(pluginError("changing the database user's password failed", own, [])).toBe(own);
  });
});
