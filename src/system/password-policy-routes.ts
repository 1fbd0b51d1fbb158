/**
 * `sys/policies/password/<name>` (write, read, list, delete) and
 * `sys/policies/password/<name>/generate`.
 *
 * @module
 */
import { NotFoundError } from "../errors.js";
import type { PathRoute } from "../backend/path-router.js";
import { generatePassword } from "../passwords/password-generator.js";
import type { PasswordPolicyStore } from "../passwords/password-policy-store.js";

/** What the password policy routes use. */
export interface PasswordPolicyRoutesDeps {
  /** The password policies. */
  passwordPolicies: Pick<PasswordPolicyStore, "names" | "get" | "text" | "put" | "delete">;
}

/** The routes of `sys/policies/password…`. */
export function passwordPolicyRoutes({ passwordPolicies }: PasswordPolicyRoutesDeps): PathRoute[] {
  return [
    {
      pattern: "policies/password",
      fields: [],
      list: async () => {
        const keys = await passwordPolicies.names();
        return keys.length === 0 ? null : { data: { keys } };
      },
    },
    {
      pattern: "policies/password/:name/generate",
      fields: [],
      read: async (_req, { name }) => {
        const policy = await passwordPolicies.get(name!);
        if (!policy) throw new NotFoundError(`no password policy named ${JSON.stringify(name)}`);
        return { data: { password: generatePassword(policy) } };
      },
    },
    {
      pattern: "policies/password/:name",
      fields: ["policy"],
      exists: async ({ name }) => (await passwordPolicies.text(name!)) !== undefined,
      read: async (_req, { name }) => {
        const policy = await passwordPolicies.text(name!);
        return policy === undefined ? null : { data: { policy } };
      },
      write: async (req, { name }) => {
        await passwordPolicies.put(name!, req.data.policy);
        return null;
      },
      delete: async (_req, { name }) => {
        await passwordPolicies.delete(name!);
        return null;
      },
    },
  ];
}
