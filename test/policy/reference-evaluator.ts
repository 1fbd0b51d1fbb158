/**
 * A deliberately slow evaluator written straight from Vault's rules, for the property test to
 * compare the compiled `PolicyEvaluator` with. It shares no code with `src/policy` beyond the
 * `Policy` type: every rule set is merged into a plain list, and every lookup scans all of it.
 */
import type { PathRule, Policy } from "../../src/policy/policy-api.js";

/** One pattern after merging all rules that name it. */
interface MergedRule {
  pattern: string;
  kind: "exact" | "prefix" | "segment";
  body: string;
  capabilities: Set<string>;
  allowed: Map<string, unknown[]>;
  denied: Map<string, unknown[]>;
  required: string[];
  minWrap: number;
  maxWrap: number;
}

/** The same request/result shapes as `PolicyEvaluator`. */
export interface ReferenceRequest {
  path: string;
  operation: string;
  data?: Record<string, unknown>;
  wrapTtl?: number;
}

const REPORT_ORDER = ["sudo", "read", "list", "update", "delete", "create", "patch", "subscribe", "recover"];

/** Linear-scan evaluator following Vault's `acl.go` semantics literally. */
export class ReferenceEvaluator {
  readonly #root: boolean;
  readonly #rules: MergedRule[] = [];

  constructor(policies: Policy[]) {
    this.#root = policies.some((policy) => policy.name === "root");
    if (this.#root && policies.length !== 1) throw new Error("root with others");
    for (const policy of policies) for (const rule of policy.rules) this.#add(rule);
  }

  evaluate(request: ReferenceRequest): { allowed: boolean; sudo: boolean; capabilities: string[] } {
    if (this.#root) return { allowed: true, sudo: true, capabilities: ["root"] };
    let path = request.path.replace(/^\/+/, "");
    const isList = request.operation === "list";
    if (isList && !path.endsWith("/")) path += "/";
    const rule = this.#find(path, isList);
    if (!rule) return { allowed: false, sudo: false, capabilities: ["deny"] };
    return { allowed: this.#allows(rule, request), sudo: rule.capabilities.has("sudo"), capabilities: report(rule) };
  }

  capabilities(path: string): string[] {
    if (this.#root) return ["root"];
    const rule = this.#find(path.replace(/^\/+/, ""), true);
    return rule ? report(rule) : ["deny"];
  }

  #add(rule: PathRule): void {
    const pattern = rule.pattern.replace(/^\//, "");
    const segmentWildcards = pattern === "+" || pattern.startsWith("+/") || pattern.includes("/+");
    const kind = segmentWildcards ? "segment" : pattern.endsWith("*") ? "prefix" : "exact";
    const body = pattern.endsWith("*") ? pattern.slice(0, -1) : pattern;
    const sameTable = (other: MergedRule) =>
      other.kind === kind && (kind === "prefix" ? other.body === body : other.pattern === pattern);
    const incoming = fromRule(rule);
    const existing = this.#rules.find(sameTable);
    if (!existing) {
      this.#rules.push({ pattern, kind, body, ...incoming });
      return;
    }
    if (existing.capabilities.has("deny")) return;
    if (incoming.capabilities.has("deny")) {
      existing.capabilities = new Set(["deny"]);
      existing.allowed = new Map();
      existing.denied = new Map();
      return;
    }
    for (const capability of incoming.capabilities) existing.capabilities.add(capability);
    if (incoming.maxWrap > 0 && (existing.maxWrap === 0 || incoming.maxWrap < existing.maxWrap)) existing.maxWrap = incoming.maxWrap;
    if (incoming.minWrap > 0 && (existing.minWrap === 0 || incoming.minWrap < existing.minWrap)) existing.minWrap = incoming.minWrap;
    for (const [target, source] of [[existing.allowed, incoming.allowed], [existing.denied, incoming.denied]] as const) {
      for (const [key, values] of source) {
        const old = target.get(key);
        if (values.length === 0 || (old !== undefined && old.length === 0)) target.set(key, []);
        else target.set(key, [...values, ...(old ?? [])]);
      }
    }
    for (const name of incoming.required) if (!existing.required.includes(name)) existing.required.push(name);
  }

  #find(path: string, isList: boolean): MergedRule | undefined {
    const exact = (p: string) => this.#rules.find((rule) => rule.kind === "exact" && rule.pattern === p);
    const found = exact(path);
    if (found) return found;
    const trimmed = path.endsWith("/") ? path.slice(0, -1) : path;
    if (isList) {
      const foundTrimmed = exact(trimmed);
      if (foundTrimmed) return foundTrimmed;
    }
    // Vault's LIST deny fix (GHSA-xp3c-3jw3-4vcr): the path as asked first, without its slash after.
    const wildcard = this.#bestNonExact(path);
    if (wildcard || !isList || !path.endsWith("/")) return wildcard;
    return this.#bestNonExact(trimmed);
  }

  /** All matching prefix and segment-wildcard rules, sorted by Vault's five rules; the last wins. */
  #bestNonExact(path: string): MergedRule | undefined {
    const candidates = this.#rules.filter((rule) => rule.kind !== "exact" && nonExactMatches(rule, path));
    candidates.sort(byPriority);
    return candidates.at(-1);
  }

  #allows(rule: MergedRule, request: ReferenceRequest): boolean {
    if (rule.capabilities.has("deny") || !rule.capabilities.has(request.operation)) return false;
    const wrap = request.wrapTtl;
    if (rule.maxWrap > 0 && (wrap === undefined || wrap > rule.maxWrap)) return false;
    if (rule.minWrap > 0 && (wrap === undefined || wrap < rule.minWrap)) return false;
    if (rule.minWrap > 0 && rule.maxWrap > 0 && rule.maxWrap < rule.minWrap) return false;
    if (!["read", "create", "update", "patch", "recover"].includes(request.operation)) return true;
    const data = request.data ?? {};
    for (const name of rule.required) if (!Object.hasOwn(data, name.toLowerCase())) return false;
    const entries = Object.entries(data);
    if (entries.length === 0) return true;
    if (rule.denied.size > 0) {
      if (rule.denied.has("*")) return false;
      for (const [key, value] of entries) {
        const list = rule.denied.get(key.toLowerCase());
        if (list && (list.length === 0 || inList(value, list) || pieces(value)?.some((piece) => inList(piece, list)))) return false;
      }
    }
    if (rule.allowed.size === 0) return true;
    const star = rule.allowed.has("*");
    if (star && rule.allowed.size === 1) return true;
    for (const [key, value] of entries) {
      const list = rule.allowed.get(key.toLowerCase());
      if (!list) {
        if (!star) return false;
        continue;
      }
      const ok = list.length === 0 || inList(value, list) || (pieces(value)?.every((piece) => inList(piece, list)) ?? false);
      if (!ok) return false;
    }
    return true;
  }
}

function fromRule(rule: PathRule) {
  const denies = rule.capabilities.includes("deny");
  const lower = (record: Record<string, unknown[]> | undefined) =>
    new Map(Object.entries(denies ? {} : record ?? {}).map(([key, values]) => [key.toLowerCase(), [...values]]));
  return {
    capabilities: new Set<string>(denies ? ["deny"] : rule.capabilities),
    allowed: lower(rule.allowedParameters),
    denied: lower(rule.deniedParameters),
    required: denies ? [] : [...(rule.requiredParameters ?? [])],
    minWrap: denies ? 0 : rule.minWrappingTtl ?? 0,
    maxWrap: denies ? 0 : rule.maxWrappingTtl ?? 0,
  };
}

/** Vault's matching of a prefix or segment-wildcard pattern against a path. */
function nonExactMatches(rule: MergedRule, path: string): boolean {
  if (rule.kind === "prefix") return path.startsWith(rule.body);
  const isPrefix = rule.pattern.endsWith("*");
  const patternParts = rule.body.split("/");
  const pathParts = path.split("/");
  if (pathParts.length < patternParts.length) return false;
  if (!isPrefix && pathParts.length !== patternParts.length) return false;
  return patternParts.every((part, index) => {
    const actual = pathParts[index]!;
    if (part === "+" || part === actual) return true;
    return isPrefix && index === patternParts.length - 1 && actual.startsWith(part);
  });
}

/** Negative when `a` has lower priority than `b` (Vault's rules 1–5). */
function byPriority(a: MergedRule, b: MergedRule): number {
  const first = (rule: MergedRule) => Buffer.byteLength(rule.kind === "prefix" ? rule.body : rule.pattern.slice(0, rule.pattern.indexOf("+")));
  const isPrefix = (rule: MergedRule) => rule.pattern.endsWith("*");
  const plusSegments = (rule: MergedRule) => rule.body.split("/").filter((part) => part === "+").length;
  if (first(a) !== first(b)) return first(a) - first(b);
  if (isPrefix(a) !== isPrefix(b)) return isPrefix(a) ? -1 : 1;
  if (plusSegments(a) !== plusSegments(b)) return plusSegments(b) - plusSegments(a);
  if (Buffer.byteLength(a.body) !== Buffer.byteLength(b.body)) return Buffer.byteLength(a.body) - Buffer.byteLength(b.body);
  return Buffer.compare(Buffer.from(a.body), Buffer.from(b.body));
}

function report(rule: MergedRule): string[] {
  if (rule.capabilities.has("deny")) return ["deny"];
  const granted = REPORT_ORDER.filter((capability) => rule.capabilities.has(capability));
  return granted.length > 0 ? granted : ["deny"];
}

function pieces(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value === "string") return value === "" ? [] : value.split(",").map((piece) => piece.trim());
  return undefined;
}

function inList(value: unknown, list: unknown[]): boolean {
  return list.some((element) => {
    if (element == null || value == null) return (element ?? null) === (value ?? null);
    if (typeof element === "string") {
      if (typeof value !== "string") return false;
      if (element.length < 2) return element === value;
      const head = element.startsWith("*");
      const tail = element.endsWith("*");
      if (head && tail) return value.includes(element.slice(1, -1));
      if (head) return value.endsWith(element.slice(1));
      if (tail) return value.startsWith(element.slice(0, -1));
      return element === value;
    }
    return JSON.stringify(element) === JSON.stringify(value);
  });
}
