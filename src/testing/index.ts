/**
 * `vaultlet/testing`: what users' own test suites and implementations need — the `Storage` and
 * `DatabasePlugin` contract suites, and the manual clock. Needs `vitest` (an optional peer
 * dependency of vaultlet); the main `"vaultlet"` entry never loads it.
 *
 * @example
 * ```ts
 * import { ManualClock, storageContract } from "vaultlet/testing";
 *
 * storageContract("MyStorage", async () => ({ storage: new MyStorage() }));
 * ```
 *
 * @module
 */
export { storageContract, type StorageContractSubject } from "./storage-contract.js";
export {
  databasePluginContract,
  type DatabasePluginContractCase,
  type DatabasePluginContractOptions,
  type DatabasePluginContractTarget,
} from "./database-plugin-contract.js";
export { ManualClock } from "../util/clock.js";
