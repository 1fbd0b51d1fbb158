/**
 * @module
 */

/**
 * Vault's list view of a set of keys: the immediate children under `prefix`, sub-folders ending in
 * `/`, each once, in the order first seen.
 *
 * @example
 * ```ts
 * immediateChildren(["a/b/1", "a/b/2", "a/c"], "a/") // → ["b/", "c"]
 * ```
 */
export function immediateChildren(keys: readonly string[], prefix: string): string[] {
  const children = new Set<string>();
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    const rest = key.slice(prefix.length);
    const slash = rest.indexOf("/");
    children.add(slash === -1 ? rest : rest.slice(0, slash + 1));
  }
  return [...children];
}
