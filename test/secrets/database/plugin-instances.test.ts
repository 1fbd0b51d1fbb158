/**
 * A cached plugin instance follows its stored config: when the config it is asked for differs from
 * the one it was opened with (another engine on the same storage rotated the root password, say),
 * it is reopened with the new one and the old one is closed.
 */
import { describe, expect, it } from "vitest";
import { PluginInstances } from "../../../src/secrets/database/plugin-instances.js";
import type { ConnectionConfig } from "../../../src/secrets/database/connection-config.js";
import type { DatabasePlugin } from "../../../src/secrets/database/plugin.js";

function countingFactory() {
  const opened: Array<{ password: string | undefined; closed: boolean }> = [];
  const factory = () => {
    const record = { password: undefined as string | undefined, closed: false };
    return {
      name: "counting",
      maxUsernameBytes: 63,
      async initialize(connection: { password?: string }) {
        record.password = connection.password;
        opened.push(record);
      },
      async close() {
        record.closed = true;
      },
    } as unknown as DatabasePlugin;
  };
  return { opened, factory };
}

const config = (password: string): ConnectionConfig => ({
  plugin_name: "counting",
  connection_url: "fake://{{username}}:{{password}}@nowhere",
  username: "root",
  password,
  allowed_roles: ["*"],
  verify_connection: false,
  max_open_connections: 4,
});

describe("PluginInstances", () => {
  it("reuses an instance while the config is the same, and reopens it when the config changed", async () => {
    const { opened, factory } = countingFactory();
    const instances = new PluginInstances(new Map([["counting", { name: "counting", maxUsernameBytes: 63, create: factory }]]));
    const first = await instances.get("db", config("one"));
    expect(await instances.get("db", config("one"))).toBe(first);
    expect(opened).toHaveLength(1);
    const second = await instances.get("db", { ...config("two"), pending_root_password: "ignored" });
    expect(second).not.toBe(first);
    expect(opened.map((o) => o.password)).toEqual(["one", "two"]);
    await expect.poll(() => opened[0]!.closed).toBe(true);
    expect(opened[1]!.closed).toBe(false);
    expect(await instances.get("db", { ...config("two"), allowed_roles: ["other"] })).toBe(second); // not a connection setting
  });
});
