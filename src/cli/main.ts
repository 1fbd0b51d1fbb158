#!/usr/bin/env node
/**
 * The `vaultlet` executable (the package's `bin`): runs {@link runCli} on the process's
 * arguments, streams and environment, and exits with its code.
 *
 * @module
 */
import { runCli } from "./run-cli.js";
import type { CliIo } from "./cli-environment.js";

/** Standard input is read at most once, and at most this much of it (a token, a policy, a JSON body). */
const MAX_STDIN_BYTES = 1024 * 1024;

let stdinText: Promise<string> | undefined;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_STDIN_BYTES) throw new Error(`stdin is larger than ${MAX_STDIN_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

const io: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  stdin: () => (stdinText ??= readStdin()),
  env: process.env,
};

const code = await runCli(process.argv.slice(2), io);
// Exits once the output is flushed, whatever handle a driver may still hold open.
process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
