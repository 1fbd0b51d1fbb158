import { describe, expect, it } from "vitest";
import { createSystemBackend, type SystemBackendDeps } from "../../src/system/system-backend.js";
import type { BackendRequest } from "../../src/backend/backend.js";
import type { ChangeEventName } from "../../src/backend/change-events.js";
import type { Operation, RequestData } from "../../src/request.js";

/** The system backend over stub slices: only the policy and audit routes' are real. */
function systemBackend() {
  const reported: Array<[ChangeEventName, unknown]> = [];
  const stored = new Map<string, unknown>();
  const deps = {
    policies: {
      put: async (name: string, text: unknown) => void stored.set(name, text),
      delete: async (name: string) => void stored.delete(name),
      text: async (name: string) => stored.get(name) as string | undefined,
      names: async () => [...stored.keys()],
    },
    audit: {
      enable: async () => {
        throw new Error("the device cannot be opened");
      },
      disable: async () => undefined,
      list: () => [],
      hash: () => "",
    },
    events: (name: ChangeEventName, payload: unknown) => void reported.push([name, payload]),
  } as unknown as SystemBackendDeps;
  const backend = createSystemBackend(deps);
  const request = (operation: Operation, path: string, data: RequestData = {}): BackendRequest => ({
    operation,
    path,
    data,
    caller: { displayName: "root", accessor: "a", policies: ["root"] },
    secrets: { issue: async () => ({}) },
  });
  return { backend, reported, stored, request };
}

describe("the system backend reports its own changes", () => {
  it("reports a policy written and deleted, once stored", async () => {
    const { backend, reported, stored, request } = systemBackend();
    await backend.handle(request("create", "policy/apps", { policy: "p" }));
    expect(stored.get("apps")).toBe("p");
    await backend.handle(request("delete", "policies/acl/apps"));
    expect(reported).toEqual([
      ["policy.changed", { name: "apps", operation: "write" }],
      ["policy.changed", { name: "apps", operation: "delete" }],
    ]);
  });

  it("reports nothing for a change that failed, or for reads", async () => {
    const { backend, reported, request } = systemBackend();
    await expect(backend.handle(request("update", "audit/file", { type: "file" }))).rejects.toThrow(/cannot be opened/);
    await backend.handle(request("read", "policy/apps"));
    expect(reported).toEqual([]);
  });

  it("declares its root paths, relative to sys/", () => {
    const { backend } = systemBackend();
    expect(backend.rootPaths).toContainEqual({ path: "audit/*" });
    expect(backend.rootPaths?.some((rule) => rule.path.startsWith("sys/"))).toBe(false);
  });
});
