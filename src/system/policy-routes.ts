/**
 * `sys/policy` and `sys/policies/acl`: write, read, list and delete ACL policies.
 *
 * @module
 */
import type { PathRoute } from "../backend/path-router.js";
import { normalizePolicyName, type PolicyStore } from "../policy/policy-store.js";
import type { ChangeEventSink } from "../backend/change-events.js";

/** What the policy routes use. */
export interface PolicyRoutesDeps {
  /** The ACL policies. */
  policies: Pick<PolicyStore, "text" | "put" | "delete" | "names">;
  /** Where `policy.changed` is reported. */
  events: ChangeEventSink;
}

/** The routes of `sys/policy…` and its newer alias `sys/policies/acl…`. */
export function policyRoutes({ policies, events }: PolicyRoutesDeps): PathRoute[] {
  const exists = async ({ name }: Record<string, string>) => (await policies.text(normalizePolicyName(name))) !== undefined;
  const write: PathRoute["write"] = async (req, { name }) => {
    await policies.put(name, req.data.policy);
    events("policy.changed", { name: name!, operation: "write" });
    return null;
  };
  // `sys/policy/<name>` also takes the policy as `rules`, as Vault does (node-vault's `addPolicy` sends it).
  const writeWithRules: PathRoute["write"] = async (req, { name }) => {
    if (req.data.policy !== undefined || req.data.rules === undefined) return write(req, { name: name! });
    await policies.put(name, req.data.rules);
    events("policy.changed", { name: name!, operation: "write" });
    return { warnings: ["'rules' is deprecated, please use 'policy' instead"] };
  };
  const remove: PathRoute["delete"] = async (_req, { name }) => {
    await policies.delete(name);
    events("policy.changed", { name: name!, operation: "delete" });
    return null;
  };
  const read = (field: "rules" | "policy"): PathRoute["read"] => async (_req, { name }) => {
    const normalized = normalizePolicyName(name);
    const text = await policies.text(normalized);
    return text === undefined ? null : { data: { name: normalized, [field]: text } };
  };
  return [
    {
      pattern: "policy",
      fields: [],
      read: async () => ({ data: { keys: await policies.names(), policies: await policies.names() } }),
      list: async () => ({ data: { keys: await policies.names() } }),
    },
    { pattern: "policy/:name", fields: ["policy", "rules"], exists, read: read("rules"), write: writeWithRules, delete: remove },
    { pattern: "policies/acl", fields: [], list: async () => ({ data: { keys: await policies.names() } }) },
    { pattern: "policies/acl/:name", fields: ["policy"], exists, read: read("policy"), write, delete: remove },
  ];
}
