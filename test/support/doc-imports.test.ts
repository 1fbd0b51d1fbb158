import { describe, expect, it } from "vitest";
import { docImports, importCheckSource, missingImports } from "./doc-imports.js";

const markdown = [
  "```ts",
  'import { Engine, MemoryStorage as Memory, type Clock } from "vaultlet";',
  'import type { Storage } from "vaultlet";',
  "import {\n  ManualClock,\n  storageContract,\n} from 'vaultlet/testing';",
  'import { readFile } from "node:fs/promises";',
  "```",
].join("\n");

describe("docImports", () => {
  it("finds named imports from the package specifiers only, multi-line, renamed and type-only", () => {
    expect(docImports(markdown, "README.md")).toEqual([
      { name: "Engine", from: "vaultlet", typeOnly: false, source: "README.md" },
      { name: "MemoryStorage", from: "vaultlet", typeOnly: false, source: "README.md" },
      { name: "Clock", from: "vaultlet", typeOnly: true, source: "README.md" },
      { name: "Storage", from: "vaultlet", typeOnly: true, source: "README.md" },
      { name: "ManualClock", from: "vaultlet/testing", typeOnly: false, source: "README.md" },
      { name: "storageContract", from: "vaultlet/testing", typeOnly: false, source: "README.md" },
    ]);
  });
});

describe("missingImports", () => {
  const imports = docImports(markdown, "README.md");

  it("is empty when every value name is exported", () => {
    expect(missingImports(imports, { vaultlet: ["Engine", "MemoryStorage"], "vaultlet/testing": ["ManualClock", "storageContract"] })).toEqual([]);
  });

  it("names each missing value import with its specifier and source", () => {
    expect(missingImports(imports, { vaultlet: ["Engine"], "vaultlet/testing": [] })).toEqual([
      'MemoryStorage from "vaultlet" (README.md)',
      'ManualClock from "vaultlet/testing" (README.md)',
      'storageContract from "vaultlet/testing" (README.md)',
    ]);
  });
});

describe("importCheckSource", () => {
  it("imports every name once, types marked, per specifier", () => {
    expect(importCheckSource([...docImports(markdown, "a"), ...docImports(markdown, "b")])).toBe(
      'import { Engine, MemoryStorage, type Clock, type Storage } from "vaultlet";\nimport { ManualClock, storageContract } from "vaultlet/testing";\nexport {};\n',
    );
  });
});
