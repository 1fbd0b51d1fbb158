/**
 * SCRAM-SHA-256 verifiers (RFC 5802 / RFC 7677) in PostgreSQL's `pg_authid` format, so a password
 * can be set with `PASSWORD '<verifier>'` and the plaintext never reaches the server.
 *
 * @module
 */
import { createHash, createHmac, pbkdf2, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { PluginError } from "../../../../errors.js";

const pbkdf2Async = promisify(pbkdf2);

/** PostgreSQL's default iteration count (`scram_iterations`): for passwords that could be guessed. */
export const SCRAM_ITERATIONS = 4096;

/**
 * The iteration count for a password of at least {@link STRONG_PASSWORD_BITS} bits of entropy.
 * Iterations make each guess of a leaked verifier cost more; past 80 bits there is nothing to
 * guess (2^80 tries of 256 iterations each), while 4096 iterations cost about 1 ms of CPU twice per
 * credential — here, and again in the server, which checks a verifier it receives against the
 * empty password — and again at every login.
 */
export const STRONG_PASSWORD_ITERATIONS = 256;

/** The entropy, in bits, from which a password gets {@link STRONG_PASSWORD_ITERATIONS}. */
export const STRONG_PASSWORD_BITS = 80;

/** The iteration count for a password of `entropyBits` (unknown: PostgreSQL's default). */
export function scramIterationsFor(entropyBits: number | undefined): number {
  return entropyBits !== undefined && entropyBits >= STRONG_PASSWORD_BITS ? STRONG_PASSWORD_ITERATIONS : SCRAM_ITERATIONS;
}

/** Printable ASCII: what password policies generate, and where SASLprep changes nothing. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * Computes `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` for `password`.
 *
 * @throws PluginError (refused) for a password outside printable ASCII (which password policies
 *   never generate): the server would normalize it (SASLprep) before hashing a login's password,
 *   so a verifier computed here without that would never match
 */
export async function scramSha256Verifier(password: string, salt: Buffer = randomBytes(16), iterations = SCRAM_ITERATIONS): Promise<string> {
  if (!PRINTABLE_ASCII.test(password)) {
    throw new PluginError("a SCRAM verifier is only computed for passwords of printable ASCII; set password_authentication = \"password\" to send others as they are", { refused: true });
  }
  const salted = await pbkdf2Async(password, salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}
