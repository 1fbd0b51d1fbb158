import { MemoryStorage } from "../../src/index.js";
import { storageContract } from "../../src/testing/index.js";

storageContract("MemoryStorage", async () => ({ storage: new MemoryStorage() }));
