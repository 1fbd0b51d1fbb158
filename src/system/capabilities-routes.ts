/**
 * `sys/capabilities`, `sys/capabilities-self` and `sys/capabilities-accessor`: what a token may do
 * on given paths.
 *
 * @module
 */
import { InvalidRequestError, PermissionDeniedError } from "../errors.js";
import type { PathRoute } from "../backend/path-router.js";
import type { RequestData } from "../request.js";
import type { PolicyStore } from "../policy/policy-store.js";
import type { TokenStore } from "../auth/token/token-store.js";

/** What the capabilities routes use. */
export interface CapabilitiesRoutesDeps {
  /** The evaluators of token policies. */
  policies: Pick<PolicyStore, "evaluatorFor">;
  /** Looks up the token to check (`sys/capabilities`, by accessor `sys/capabilities-accessor`). */
  tokens: Pick<TokenStore, "lookup" | "lookupByAccessor" | "isExpired">;
}

/** The routes of `sys/capabilities…`. */
export function capabilitiesRoutes({ policies, tokens }: CapabilitiesRoutesDeps): PathRoute[] {
  const answer = async (names: readonly string[], data: RequestData) => {
    const evaluator = await policies.evaluatorFor(names);
    const paths = requirePaths(data);
    const byPath = Object.fromEntries(paths.map((path) => [path, evaluator.capabilities(path)]));
    // Vault also returns `capabilities` for the first path, for older clients that sent one `path`.
    return { data: { ...byPath, capabilities: byPath[paths[0]!] } };
  };
  return [
    {
      pattern: "capabilities-self",
      fields: ["paths", "path"],
      write: async (req) => answer(req.caller.policies, req.data),
    },
    {
      pattern: "capabilities",
      fields: ["token", "paths", "path"],
      write: async (req) => {
        const token = await tokens.lookup(req.data.token);
        if (!token) throw new PermissionDeniedError("permission denied: the token to check is invalid or expired");
        return answer(token.policies, req.data);
      },
    },
    {
      pattern: "capabilities-accessor",
      fields: ["accessor", "paths", "path"],
      write: async (req) => {
        const accessor = req.data.accessor;
        if (typeof accessor !== "string" || accessor === "") throw new InvalidRequestError("accessor is required");
        const token = await tokens.lookupByAccessor(accessor);
        // Vault's answer for an unknown accessor; an expired token is as good as unknown.
        if (!token || tokens.isExpired(token) || token.numUses < 0) throw new InvalidRequestError("invalid accessor");
        return answer(token.policies, req.data);
      },
    },
  ];
}

function requirePaths(data: RequestData): string[] {
  const raw = data.paths ?? data.path;
  const paths = typeof raw === "string" ? raw.split(",") : raw;
  if (!Array.isArray(paths) || paths.length === 0 || !paths.every((p) => typeof p === "string" && p.length > 0)) {
    throw new InvalidRequestError("paths is required: a list of paths to check");
  }
  return paths.map((p: string) => p.trim());
}
