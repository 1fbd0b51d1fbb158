/**
 * Token roles in storage: the token store's `roles/` records, read afresh on every use so a role
 * written or deleted through any engine on the same storage applies at once (nothing is cached).
 *
 * @module
 */
import type { JsonStore } from "../../storage/json-store.js";
import type { RequestData } from "../../request.js";
import { applyRoleWrite, type TokenRole } from "./token-role.js";

/** The token roles of `auth/token/roles/:name`. */
export class TokenRoleStore {
  readonly #store: JsonStore;

  /** @param store - the roles' storage view (the token store's `roles/`) */
  constructor(store: JsonStore) {
    this.#store = store;
  }

  /** The role named `name`, or `undefined`. */
  async get(name: string): Promise<TokenRole | undefined> {
    return this.#store.get<TokenRole>(name);
  }

  /** Whether a role named `name` exists. */
  async exists(name: string): Promise<boolean> {
    return this.#store.has(name);
  }

  /**
   * Creates or updates a role from a request's fields, as one atomic read-modify-write: parallel
   * updates of one role each merge into what the other stored, never into a stale copy.
   *
   * @returns Vault's warnings for the write
   * @throws InvalidRequestError naming a bad field (nothing is stored then)
   */
  async write(name: string, data: RequestData): Promise<string[]> {
    let warnings: string[] = [];
    await this.#store.update<TokenRole>(name, (current) => {
      const applied = applyRoleWrite(name, data, current);
      warnings = applied.warnings;
      return applied.role;
    });
    return warnings;
  }

  /** Deletes a role (nothing happens when there is none). */
  async delete(name: string): Promise<void> {
    await this.#store.delete(name);
  }

  /** The names of every role, sorted. */
  async names(): Promise<string[]> {
    return (await this.#store.list()).sort();
  }
}
