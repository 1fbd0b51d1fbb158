import { MemoryStorage } from "../../src/index.js";
import { storageContract } from "./storage-contract.js";

storageContract("MemoryStorage", async () => ({ storage: new MemoryStorage() }));
