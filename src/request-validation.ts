/**
 * The pipeline's first step: a request's operation, path and data checked and normalized before
 * anything looks at them.
 *
 * @module
 */
import { InvalidRequestError } from "./errors.js";
import { OPERATIONS, type Operation, type RequestData } from "./request.js";

/** A request after validation. */
export interface ValidRequest {
  /** One of {@link OPERATIONS}. */
  operation: Operation;
  /** No leading or trailing `/`, no `.` or `..` segment, not empty. */
  path: string;
  /** The data, `{}` when none was given. */
  data: RequestData;
}

/**
 * Checks the operation, normalizes the path and checks the data.
 *
 * @throws InvalidRequestError for an unknown operation, a bad path or data that is not an object
 */
export function validateRequest(operation: unknown, path: unknown, data: unknown): ValidRequest {
  if (!OPERATIONS.includes(operation as Operation)) throw new InvalidRequestError(`unknown operation ${JSON.stringify(operation)}`);
  return { operation: operation as Operation, path: normalizeRequestPath(path), data: validateData(data) };
}

function normalizeRequestPath(path: unknown): string {
  if (typeof path !== "string") throw new InvalidRequestError("path must be a string");
  const normalized = hasEdgeSlash(path) ? path.replace(/^\/+|\/+$/g, "") : path;
  if (normalized.length === 0) throw new InvalidRequestError("path is empty");
  if (normalized.includes(".") && normalized.split("/").some((segment) => segment === ".." || segment === ".")) {
    throw new InvalidRequestError(`path ${JSON.stringify(path)} contains "." or ".." segments`);
  }
  return normalized;
}

/** Whether the path starts or ends with "/" (most do not: the check spares a regex per request). */
function hasEdgeSlash(path: string): boolean {
  return path.charCodeAt(0) === 47 || path.charCodeAt(path.length - 1) === 47;
}

function validateData(data: unknown): RequestData {
  if (data === undefined || data === null) return {};
  if (typeof data !== "object" || Array.isArray(data)) throw new InvalidRequestError("request data must be an object");
  return data as RequestData;
}
