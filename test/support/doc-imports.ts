/**
 * The names the documentation imports from the package: what the packaging test
 * (test/integration/packaging/pack.test.ts) checks the packed tarball exports.
 */

/** The specifiers whose imports the docs promise. */
export const PACKAGE_SPECIFIERS = ["vaultlet", "vaultlet/testing", "vaultlet/testing/postgres"] as const;

/** One name a document imports. */
export interface DocImport {
  /** The exported name (`Engine` in `import { Engine as E }`). */
  name: string;
  /** The specifier, e.g. `"vaultlet/testing"`. */
  from: string;
  /** `import type { X }` or `import { type X }`: a type, checked by the compiler only. */
  typeOnly: boolean;
  /** Where the import was found, for the failure message. */
  source: string;
}

const IMPORT = /import\s+(type\s+)?\{([^}]*)\}\s*from\s*["']([^"']+)["']/g;

/** Every named import from one of `specifiers` in `text` (Markdown or code). */
export function docImports(text: string, source: string, specifiers: readonly string[] = PACKAGE_SPECIFIERS): DocImport[] {
  const found: DocImport[] = [];
  for (const [, wholeType, list, from] of text.matchAll(IMPORT)) {
    if (!specifiers.includes(from!)) continue;
    for (const entry of list!.split(",")) {
      const spec = entry.trim();
      if (!spec) continue;
      const typeOnly = wholeType !== undefined || spec.startsWith("type ");
      const name = spec.replace(/^type\s+/, "").split(/\s+as\s+/)[0]!.trim();
      found.push({ name, from: from!, typeOnly, source });
    }
  }
  return found;
}

/**
 * The value imports that `exported` (runtime export names by specifier) lacks, one line each:
 * `Name from "specifier" (source)`. Type-only imports are left to the compiler.
 */
export function missingImports(imports: readonly DocImport[], exported: Readonly<Record<string, readonly string[]>>): string[] {
  const missing = new Set<string>();
  for (const { name, from, typeOnly, source } of imports) {
    if (typeOnly) continue;
    if (!(exported[from] ?? []).includes(name)) missing.add(`${name} from "${from}" (${source})`);
  }
  return [...missing];
}

/** A TypeScript module importing every name (types too), for the compiler to check against the packed `.d.ts`. */
export function importCheckSource(imports: readonly DocImport[]): string {
  const bySpecifier = new Map<string, Set<string>>();
  for (const { name, from, typeOnly } of imports) {
    const names = bySpecifier.get(from) ?? new Set<string>();
    names.add(typeOnly ? `type ${name}` : name);
    bySpecifier.set(from, names);
  }
  const lines = [...bySpecifier].map(([from, names]) => `import { ${[...names].sort().join(", ")} } from "${from}";`);
  return `${lines.join("\n")}\nexport {};\n`;
}
