/**
 * Start-up: how long `import("vaultlet")` takes in a cold process, and an engine's first request.
 *
 * ```sh
 * npx tsx bench/startup.ts              # builds dist/ first (npm run build), then measures it
 * npx tsx bench/startup.ts --no-build   # measures the dist/ already there
 * STARTUP_RUNS=9 npx tsx bench/startup.ts
 * STARTUP_ENTRY=/elsewhere/dist/index.js npx tsx bench/startup.ts --no-build   # another build, side by side
 * ```
 *
 * Measures the published entry, `dist/index.js` (the bundle `npm run build` writes), the way an
 * app loads it. Each run is a fresh `node` process (so nothing is cached in memory; the OS file cache is warm after the first) that
 * times `await import(dist/index.js)`, then `Engine.open` on `MemoryStorage` + `initialize()` + the
 * first request (`sys/mounts`), and reports whether `pg` is loaded (it is CommonJS, so a loaded
 * `pg` sits in `require.cache`, whichever way it was imported): an app on memory storage must
 * never load it. Ends with the summary line issue 14 asks for (medians over the runs).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const RUNS = Number(process.env.STARTUP_RUNS ?? 5);
const repo = resolve(import.meta.dirname, "..");
const entry = pathToFileURL(resolve(repo, process.env.STARTUP_ENTRY ?? "dist/index.js")).href;

/** One cold process: prints `{ importMs, importCpuMs, openMs, pgLoaded }` (CPU time counts every thread: compilation runs beside the main one). */
const child = `
  import { createRequire } from "node:module";
  const cpu = process.cpuUsage();
  const started = performance.now();
  const { Engine, MemoryStorage } = await import(${JSON.stringify(entry)});
  const importMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const importCpuMs = (used.user + used.system) / 1000;
  const opening = performance.now();
  const engine = await Engine.open({ storage: new MemoryStorage() });
  const { rootToken } = await engine.initialize();
  await engine.client(rootToken).read("sys/mounts");
  const openMs = performance.now() - opening;
  await engine.close();
  const pgLoaded = Object.keys(createRequire(import.meta.url).cache).some((file) => /[\\\\/]node_modules[\\\\/]pg[\\\\/]/.test(file));
  console.log(JSON.stringify({ importMs, importCpuMs, openMs, pgLoaded }));
`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

if (!process.argv.includes("--no-build")) {
  execFileSync("npm", ["run", "--silent", "build"], { cwd: repo, stdio: "inherit" });
} else if (!existsSync(resolve(repo, "dist/index.js"))) {
  throw new Error("dist/index.js is missing: run `npm run build` first, or drop --no-build");
}

const runs: Array<{ importMs: number; importCpuMs: number; openMs: number; pgLoaded: boolean }> = [];
for (let i = 0; i < RUNS; i++) {
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", child], { cwd: repo, encoding: "utf8" });
  const run = JSON.parse(out.trim().split("\n").pop()!) as (typeof runs)[number];
  runs.push(run);
  console.log(`run ${i + 1}: import ${run.importMs.toFixed(1)} ms (CPU ${run.importCpuMs.toFixed(1)} ms), open+first request ${run.openMs.toFixed(1)} ms, pg loaded: ${run.pgLoaded ? "yes" : "no"}`);
}
const pgLoaded = runs.some((run) => run.pgLoaded);
console.log(`load average ${loadavg()[0]!.toFixed(1)} (wall times on a busy machine run long: compare runs made side by side)`);
console.log(`pg loaded by import + memory engine: ${pgLoaded ? "YES (regression)" : "no"}`);
console.log(`import: median ${median(runs.map((r) => r.importMs)).toFixed(1)} ms over ${RUNS} cold starts; open+first request ${median(runs.map((r) => r.openMs)).toFixed(1)} ms`);
if (pgLoaded) process.exitCode = 1;
