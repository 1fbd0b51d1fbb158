/**
 * The published package works: `npm run build`, `npm pack`, install the tarball into a fresh
 * project, type-check the README's example against the packed `.d.ts` files and run it against the
 * harness's PostgreSQL; and every name the README, docs/*.md and DESIGN §4 (copied to
 * design-api.md) import from "vaultlet" or "vaultlet/testing" is exported by the installed package.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";
import { useTestDatabase } from "../../support/database.js";
import { docImports, importCheckSource, missingImports, PACKAGE_SPECIFIERS, type DocImport } from "../../support/doc-imports.js";

const db = useTestDatabase();
const run = promisify(execFile);
const repo = resolve(import.meta.dirname, "../../..");
let scratch: string | undefined;

/** The README's `## Example` block, pointed at the harness database through `PG*` variables. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(join(repo, "README.md"), "utf8");
  const block = /## Example\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error("README.md has no ```ts block under ## Example");
  const replacements: Array<[string, string]> = [
    ['"postgresql://{{username}}:{{password}}@localhost:5432/myapp"', "`postgresql://{{username}}:{{password}}@${process.env.PGHOST}:${process.env.PGPORT}/${process.env.PGDATABASE}`"],
    ['username: "root"', "username: process.env.PGUSER!"],
    ['password: "rootpassword"', "password: process.env.PGPASSWORD!"],
  ];
  let code = block;
  for (const [from, to] of replacements) {
    if (!code.includes(from)) throw new Error(`the README example no longer contains ${from}: update this test`);
    code = code.replace(from, to);
  }
  return `${code}\nconsole.log(JSON.stringify({ lease_id: creds.lease_id, lease_duration: creds.lease_duration, username: (creds.data as { username: string }).username }));\n`;
}

/** Every name the README, docs/*.md and the DESIGN §4 copy import from the package. */
async function documentedImports(): Promise<DocImport[]> {
  const docs = (await readdir(join(repo, "docs"))).filter((file) => file.endsWith(".md")).map((file) => `docs/${file}`);
  const sources = ["README.md", ...docs, "test/integration/packaging/design-api.md"];
  const found = await Promise.all(sources.map(async (source) => docImports(await readFile(join(repo, source), "utf8"), source)));
  return found.flat();
}

async function npm(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("npm", args, { cwd, env: { ...process.env, npm_config_update_notifier: "false" }, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

it("packs, installs into a fresh project, exports every documented name and runs the README example", { timeout: 240_000 }, async () => {
  scratch = await mkdtemp(join(tmpdir(), "vaultlet-pack-"));
  await npm(repo, "run", "build");
  const [packed] = JSON.parse(await npm(repo, "pack", "--json", "--ignore-scripts", "--pack-destination", scratch)) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const files = packed!.files.map((file) => file.path);
  expect(files).toEqual(expect.arrayContaining(["dist/index.js", "dist/index.d.ts", "dist/testing/index.js", "dist/testing/index.d.ts", "README.md", "package.json"]));
  expect(files.filter((path) => path.startsWith("src/") || path.startsWith("test/"))).toEqual([]);
  // dist/ holds the three entries' bundles and their shared chunks, not a module per source file:
  // one file to compile is what keeps `import("vaultlet")` fast (bench/startup.ts).
  const modules = files.filter((path) => path.endsWith(".js"));
  expect(modules.filter((path) => !/^dist\/(index|testing\/index|testing\/postgres\/index|cli\/main|chunk-[A-Z0-9]+)\.js$/.test(path))).toEqual([]);

  const app = join(scratch, "app");
  await run("mkdir", [app]);
  await writeFile(join(app, "package.json"), JSON.stringify({ name: "vaultlet-pack-check", private: true, type: "module" }));
  await npm(app, "install", "--no-audit", "--no-fund", "--prefer-offline", join(scratch, packed!.filename));
  await writeFile(join(app, "example.ts"), await readmeExample());
  const imports = await documentedImports();
  expect(imports.map((i) => i.name)).toEqual(expect.arrayContaining(["Engine", "PolicyEvaluator", "parsePolicy", "databasePluginContract"]));
  await writeFile(join(app, "doc-imports.ts"), importCheckSource(imports));
  await writeFile(
    join(app, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, skipLibCheck: false, typeRoots: [join(repo, "node_modules/@types")], types: ["node"] },
      files: ["example.ts", "doc-imports.ts"],
    }),
  );
  // Type-checks the example and every documented import (types included) against the packed .d.ts
  // files, resolved through the exports map; a missing name fails here, named by the compiler.
  await run(process.execPath, [join(repo, "node_modules/typescript/bin/tsc"), "-p", app], { cwd: app }).catch((err: { stdout?: string }) => {
    throw new Error(`the packed package does not type-check the README example and documented imports:\n${err.stdout ?? String(err)}`);
  });

  // The documented value imports at run time. vaultlet/testing loads vitest (its optional peer),
  // which works only inside a vitest run: list the exports from one, in the fresh project, with
  // the repo's vitest linked in.
  await symlink(join(repo, "node_modules/vitest"), join(app, "node_modules/vitest"), "dir");
  await writeFile(
    join(app, "exports.test.mjs"),
    [
      'import { writeFileSync } from "node:fs";',
      'import { it } from "vitest";',
      ...PACKAGE_SPECIFIERS.map((specifier, i) => `import * as m${i} from ${JSON.stringify(specifier)};`),
      `it("lists the exports", () => writeFileSync("exports.json", JSON.stringify({ ${PACKAGE_SPECIFIERS.map((specifier, i) => `${JSON.stringify(specifier)}: Object.keys(m${i})`).join(", ")} })));`,
      // The entries share one copy of each class (esbuild's shared chunks), so instanceof holds
      // across them: an error thrown by vaultlet/testing is a VaultletError of vaultlet's.
      `it("shares classes across entries", () => writeFileSync("shared.json", JSON.stringify({ clock: m0.ManualClock === m1.ManualClock, error: new m2.MissingPeerDependencyError("x", "y") instanceof m0.VaultletError })));`,
    ].join("\n"),
  );
  await run(process.execPath, [join(repo, "node_modules/vitest/vitest.mjs"), "run", "--root", app, "exports.test.mjs"], { cwd: app });
  const exported = JSON.parse(await readFile(join(app, "exports.json"), "utf8")) as Record<string, string[]>;
  expect(missingImports(imports, exported)).toEqual([]);
  expect(JSON.parse(await readFile(join(app, "shared.json"), "utf8"))).toEqual({ clock: true, error: true });

  const env = { ...process.env, PGHOST: db.host, PGPORT: String(db.port), PGDATABASE: db.name, PGUSER: db.user, PGPASSWORD: db.password };
  const { stdout } = await run(process.execPath, [join(app, "example.js")], { cwd: app, env });
  const result = JSON.parse(stdout.trim().split("\n").pop()!) as { lease_id: string; lease_duration: number; username: string };
  expect(result).toMatchObject({ lease_id: expect.stringMatching(/^database\/creds\/readonly\//), lease_duration: 3600 });
  const { rowCount } = await db.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [result.username]);
  expect(rowCount).toBe(0); // the example revoked its lease: the role is gone

  // The package's bin, as `npx vaultlet` runs it from the installed tarball.
  const bin = join(app, "node_modules/.bin/vaultlet");
  expect((await run(bin, ["-help"], { cwd: app })).stdout).toMatch(/Usage: vaultlet <command>[\s\S]*lease revoke[\s\S]*doctor/);
  const cliEnv = { ...process.env, VAULTLET_STORAGE: join(scratch, "cli-storage"), VAULTLET_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString("base64"), VAULTLET_TOKEN: "" };
  const noToken = await run(bin, ["read", "sys/mounts"], { cwd: app, env: cliEnv }).catch((err: { code: number; stderr: string }) => err);
  expect(noToken).toMatchObject({ code: 2, stderr: expect.stringMatching(/no token/) });
  const status = await run(bin, ["status", "-format=json"], { cwd: app, env: cliEnv }).catch((err: { code: number; stdout: string }) => err);
  expect(status).toMatchObject({ code: 1 }); // the engine opened on the fresh folder: not initialized
  expect(JSON.parse(status.stdout)).toMatchObject({ initialized: false, change_feed: "none" });
});
