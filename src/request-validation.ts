/**
 * The pipeline's first step: a request's operation, path and data checked and normalized before
 * anything looks at them.
 *
 * The data is reduced here, once, to what JSON could carry: own enumerable string keys on objects
 * without a prototype, arrays of own elements, and values read once. The ACL's parameter checks
 * and the backend then read the same object, so nothing reaches a backend that the ACL did not see
 * (a field inherited through a prototype, a getter answering differently on its second read).
 *
 * @module
 */
import { InvalidRequestError } from "./errors.js";
import { OPERATIONS, type Operation, type RequestData } from "./request.js";

/**
 * How deep request data may nest: 32 levels (the data object is level 1; `{ a: [ { } ] }` is 3).
 * Real requests nest two or three levels; the bound keeps every recursive walk over the data
 * (audit hashing, copies) far from the stack's limit.
 */
export const MAX_REQUEST_DATA_DEPTH = 32;

/** A request after validation. */
export interface ValidRequest {
  /** One of {@link OPERATIONS}. */
  operation: Operation;
  /** No leading or trailing `/`, no `.` or `..` segment, not empty. */
  path: string;
  /** The data as plain, prototype-free copies (see the module's notes), empty when none was given. */
  data: RequestData;
}

/**
 * Checks the operation, normalizes the path and checks the data.
 *
 * @throws InvalidRequestError for an unknown operation, a bad path, data that is not an object,
 *   nests deeper than {@link MAX_REQUEST_DATA_DEPTH}, holds a function or symbol, or has a `__proto__` key
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
  if (data === undefined || data === null) return Object.create(null) as RequestData;
  if (typeof data !== "object" || Array.isArray(data)) throw new InvalidRequestError("request data must be an object");
  return plainObject(data, 1);
}

/** A copy of `value` as plain data (see the module's notes), `depth` being the level it sits at. */
function plainValue(value: unknown, depth: number): unknown {
  if (typeof value === "function" || typeof value === "symbol") {
    throw new InvalidRequestError(`request data may hold only strings, numbers, booleans, null, arrays and objects; found a ${typeof value}`);
  }
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString(); // as JSON carries it
  return Array.isArray(value) ? plainArray(value, depth) : plainObject(value, depth);
}

function plainObject(value: object, depth: number): RequestData {
  checkDepth(depth);
  const copy = Object.create(null) as RequestData;
  for (const key of Object.keys(value)) {
    // Harmless in a prototype-free copy, but a host's `Object.assign({}, data)` would set a prototype.
    if (key === "__proto__") throw new InvalidRequestError('request data may not have a key named "__proto__"');
    copy[key] = plainValue((value as Record<string, unknown>)[key], depth + 1);
  }
  return copy;
}

function plainArray(value: readonly unknown[], depth: number): unknown[] {
  checkDepth(depth);
  const copy: unknown[] = [];
  // Own elements only: a hole reads as undefined, never as an index inherited from a prototype.
  for (let i = 0; i < value.length; i++) copy.push(Object.hasOwn(value, i) ? plainValue(value[i], depth + 1) : undefined);
  return copy;
}

function checkDepth(depth: number): void {
  if (depth > MAX_REQUEST_DATA_DEPTH) {
    throw new InvalidRequestError(`request data nests deeper than ${MAX_REQUEST_DATA_DEPTH} levels`);
  }
}
