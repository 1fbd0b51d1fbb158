/**
 * `secretFreeSteps`: a statement holding the secret becomes two steps of constant text, the
 * statement and the secret bound as parameters; the others pass as written. (Against a real
 * server: test/integration/postgres/pipelined-steps.test.ts and query-text-secrets.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { EXECUTE_HIDDEN, secretFreeSteps } from "../../../src/secrets/database/plugins/postgres/secret-statements.js";
import { scramSha256Verifier } from "../../../src/secrets/database/plugins/postgres/scram.js";

describe("secretFreeSteps", () => {
  it("binds a statement holding the secret as a parameter, and leaves the others as they are", async () => {
    const secret = await scramSha256Verifier("Pw-1-abcdefghij");
    const create = `CREATE ROLE "u" WITH LOGIN PASSWORD '${secret}'`;
    const steps = secretFreeSteps([create, `GRANT r TO "u"`], secret);
    expect(steps).toEqual([
      { text: expect.stringMatching(/^SELECT pg_catalog\.set_config\('vaultlet\.statement', \$1, true\)/), values: [create, secret] },
      { text: EXECUTE_HIDDEN },
      { text: `GRANT r TO "u"` },
    ]);
    for (const step of steps) expect(step.text).not.toContain(secret);
  });

  it("refuses an empty secret, which every statement would hold", () => {
    expect(() => secretFreeSteps(["SELECT 1"], "")).toThrow(/needs the secret/);
  });
});

describe("scramSha256Verifier", () => {
  it("gives PostgreSQL's format, with a fresh salt each time", async () => {
    const [a, b] = await Promise.all([scramSha256Verifier("Pw-1"), scramSha256Verifier("Pw-1")]);
    expect(a).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toBe(b);
  });

  it("refuses a password outside printable ASCII (SASLprep would change it at login), without quoting it", async () => {
    const error = await scramSha256Verifier("pässwörd-1").catch((err: unknown) => err);
    expect(error).toMatchObject({ refused: true, message: expect.stringMatching(/printable ASCII/) });
    expect((error as Error).message).not.toContain("pässwörd");
  });
});
