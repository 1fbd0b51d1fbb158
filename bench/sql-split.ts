/**
 * The SQL statement splitter's time on 1 MiB of adversarial text.
 *
 *   npx tsx bench/sql-split.ts          (1 MiB inputs, 9 runs each)
 *   npx tsx bench/sql-split.ts 4        (4 MiB inputs)
 *
 * Each input is built to defeat a naive splitter: an unclosed `/*`, quote, identifier or `$tag$`
 * that runs to the end of the text; openings repeated after every `;` (the comment-only check was
 * quadratic there); a million `;`. Prints the median and the slowest of the runs after a warm-up,
 * and the CPU time, which on a shared machine says what the code did with the time it got.
 */
import { splitStatements } from "../src/secrets/database/sql-statements.js";

const MIB = 1024 * 1024;
const size = Math.round(Number(process.argv[2] ?? 1) * MIB);
const RUNS = 9;

/** Text of about `size` characters: `unit` repeated, after `head`. */
const filled = (unit: string, head = "") => head + unit.repeat(Math.ceil((size - head.length) / unit.length));

const INPUTS: Record<string, string> = {
  "unclosed /* then text": filled("x", "/*"),
  '";/*" repeated': filled(";/*"),
  '"x;/*" repeated': filled("x;/*"),
  "unclosed '": filled("a", "'"),
  'unclosed "': filled("a", '"'),
  "unclosed $tag$": filled("x", "$tag$"),
  '"$a$ " repeated': filled("$a$ "),
  '";" repeated': filled(";"),
  '"--;\\n" repeated': filled("--;\n"),
  "realistic statements": filled(`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";\n`),
};

function measure(sql: string): { wallMs: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  splitStatements(sql);
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

console.log(`splitStatements on ${(size / MIB).toFixed(1)} MiB, ${RUNS} runs after a warm-up (wall ms: median / slowest; CPU ms: median)`);
for (const [name, sql] of Object.entries(INPUTS)) {
  measure(sql);
  const runs = Array.from({ length: RUNS }, () => measure(sql));
  const wall = runs.map((run) => run.wallMs);
  const cpu = median(runs.map((run) => run.cpuMs));
  console.log(`${name.padEnd(24)} ${median(wall).toFixed(1).padStart(7)} / ${Math.max(...wall).toFixed(1).padStart(7)}   CPU ${cpu.toFixed(1).padStart(7)}`);
}
