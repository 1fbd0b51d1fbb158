/**
 * `sys/wrapping/wrap`, `unwrap`, `lookup` and `rewrap`: Vault's response-wrapping endpoints.
 *
 * @module
 */
import type { BackendRequest, BackendResponse } from "../backend/backend.js";
import type { PathRoute } from "../backend/path-router.js";
import { InvalidRequestError } from "../errors.js";
import type { Response } from "../request.js";
import type { ResponseWrapping } from "../wrapping/response-wrapping.js";

/** What the wrapping routes use. */
export interface WrappingRoutesDeps {
  /** Response wrapping: the wrapped responses and their tokens. */
  wrapping: Pick<ResponseWrapping, "resolve" | "isWrappingToken" | "usingThirdParty" | "unwrap" | "lookup" | "rewrap">;
}

/** The `sys/` path served without a token, as in Vault (`PathsSpecial.Unauthenticated`). */
export const WRAPPING_UNAUTHENTICATED_PATHS: readonly string[] = ["wrapping/lookup"];

/** The routes of `sys/wrapping/…`. */
export function wrappingRoutes({ wrapping }: WrappingRoutesDeps): PathRoute[] {
  /**
   * Runs `action` on the wrapping token's accessor: the one in the body (a third party; its use is
   * taken here and it is revoked after), else the request's own token (used by the pipeline).
   */
  const withWrappingToken = async <T>(request: BackendRequest, useIt: boolean, action: (accessor: string) => Promise<T>): Promise<T> => {
    const given = request.data.token;
    if (given !== undefined && given !== "") {
      if (typeof given !== "string") throw new InvalidRequestError("token must be a string: the wrapping token");
      const entry = await wrapping.resolve(given);
      return useIt ? wrapping.usingThirdParty(entry, () => action(entry.accessor)) : action(entry.accessor);
    }
    if (request.caller.accessor === "" || !wrapping.isWrappingToken(request.caller.policies)) {
      throw new InvalidRequestError('token is required: the wrapping token, in "token" or as the request\'s token');
    }
    return action(request.caller.accessor);
  };
  const lookup = async (request: BackendRequest): Promise<BackendResponse> => ({
    data: { ...(await withWrappingToken(request, false, (accessor) => wrapping.lookup(accessor))) },
  });
  return [
    {
      pattern: "wrapping/wrap",
      fields: "any",
      write: async (request) => {
        if (request.wrapTtl === undefined) throw new InvalidRequestError("endpoint requires response wrapping to be used: give a wrap TTL (wrapTtl, X-Vault-Wrap-TTL)");
        return { data: { ...request.data } };
      },
    },
    {
      pattern: "wrapping/unwrap",
      fields: ["token"],
      write: async (request) => fromEnvelope(await withWrappingToken(request, true, (accessor) => wrapping.unwrap(accessor))),
    },
    {
      pattern: "wrapping/lookup",
      fields: ["token"],
      // Vault serves it as a read too (`GET sys/wrapping/lookup?token=…`).
      read: lookup,
      write: lookup,
    },
    {
      pattern: "wrapping/rewrap",
      fields: ["token"],
      write: async (request) => ({ wrapInfo: await withWrappingToken(request, true, (accessor) => wrapping.rewrap(accessor)) }),
    },
  ];
}

/** The wrapped envelope as a backend answer: the engine puts it back into an envelope. */
function fromEnvelope(response: Response): BackendResponse {
  const answer: BackendResponse = { data: response.data };
  if (response.lease_id !== "") answer.lease = { id: response.lease_id, duration: response.lease_duration, renewable: response.renewable };
  if (response.auth) answer.auth = response.auth;
  if (response.warnings) answer.warnings = response.warnings;
  return answer;
}
