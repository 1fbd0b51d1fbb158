/**
 * `username_template` is bounded (issue 20, item 4): each attack is refused quickly with a typed
 * error, and the randomness rule is judged on real renders, not on markers.
 */
import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../../src/errors.js";
import { UsernameTemplate } from "../../../src/secrets/database/username-template.js";
import { useEngineFixture } from "../../support/engine-fixture.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** A guard against a blocked event loop, far above what a bounded parse takes (well under 10 ms). */
const GUARD_MS = 500;

/** Parses `template`, and returns the error it was refused with and how long that took. */
function attempt(template: string, maxBytes = 63): { error: unknown; ms: number } {
  const start = performance.now();
  let error: unknown;
  try {
    UsernameTemplate.parse(template, maxBytes);
  } catch (err) {
    error = err;
  }
  return { error, ms: performance.now() - start };
}

/** Expects `template` to be refused within the guard with an InvalidRequestError matching `message`, itself short. */
function expectRefused(template: string, message: RegExp, maxBytes = 63): void {
  const { error, ms } = attempt(template, maxBytes);
  expect(error).toBeInstanceOf(InvalidRequestError);
  expect(error).toMatchObject({ code: "invalid_request", status: 400 });
  expect((error as Error).message).toMatch(message);
  expect((error as Error).message.length).toBeLessThan(400);
  expect(ms).toBeLessThan(GUARD_MS);
}

const repeat = (text: string, times: number) => Array.from({ length: times }, () => text).join("");

describe("username_template is bounded", () => {
  it("refuses a replace chain that grows text exponentially, before allocating it", () => {
    expectRefused(`{{ .RoleName ${repeat(' | replace "x" "xxxxxxxxxx"', 9)} }}{{random 20}}`, /longer than 4096 characters/);
    // vaultlet's earlier syntax has the same helper.
    expectRefused(`{{role_name ${repeat(' | replace "x" "xxxxxxxxxx"', 9)}}}{{random 20}}`, /longer than 4096 characters/);
  });

  it("refuses other growing chains (hex, base64, printf) past the value limit", () => {
    expectRefused(`{{ .RoleName ${repeat("| hex ", 22)} }}{{random 20}}`, /longer than 4096 characters/);
    expectRefused(`{{ .RoleName ${repeat("| base64 ", 30)} }}{{random 20}}`, /longer than 4096 characters/);
    expectRefused(`{{ printf "%s${repeat("%s", 40)}" (random 20) ${repeat("(.RoleName | hex | hex)", 40)} }}`, /longer than 4096 characters/);
  });

  it("refuses a huge random N, and any N over 1024", () => {
    expectRefused("{{ printf `%s` (random 1000000) }}", /random takes a length from 1 to 1024/);
    expectRefused("{{ printf `%s` (random 5000) }}", /random takes a length from 1 to 1024/);
    expectRefused("{{ random 20 | printf `%s-%s` (random 0) }}", /random takes a length from 1 to 1024/);
  });

  it("refuses a huge printf width, and any width over 1024", () => {
    expectRefused('{{ printf "%900000000s" (random 20) }}', /printf: a width of at most 1024/);
    expectRefused('{{ printf "%5000s" (random 20) }}', /printf: a width of at most 1024/);
    expectRefused(`{{ printf "%${"9".repeat(400)}s" (random 20) }}`, /printf: a width of at most 1024/);
  });

  it("refuses parentheses nested past 32 levels, without a stack overflow", () => {
    expectRefused(`{{ ${"(".repeat(1000)}random 20${")".repeat(1000)} }}`, /nested more than 32 levels/);
    expect(() => UsernameTemplate.parse(`{{ ${"(".repeat(32)}random 20${")".repeat(32)} }}`, 63)).not.toThrow();
  });

  it("refuses a template source over 4096 characters (a long {{- whitespace run, deep parentheses, {{ runs)", () => {
    expectRefused(`${" ".repeat(60_000)}x{{- random 20}}`, /at most 4096 characters/);
    expectRefused(`{{ ${"(".repeat(20_000)}random 20${")".repeat(20_000)} }}`, /at most 4096 characters/);
    expectRefused("{{".repeat(20_000), /at most 4096 characters/);
    expectRefused(`v-{{random 20}}${"x".repeat(5000)}`, /at most 4096 characters/);
  });

  it("matches glob patterns in linear time", () => {
    const template = `{{ printf "%s-%v" (random 20) (glob "${"*a".repeat(10)}*b" "${"a".repeat(32)}") }}`;
    const { error, ms } = attempt(template);
    expect(error).toBeUndefined();
    expect(ms).toBeLessThan(GUARD_MS);
    const matching = UsernameTemplate.parse('{{ printf "%s-%v-%v" (random 20) (glob "a*b*c" "axxbyyc") (glob "a*b" "ba") }}', 63);
    expect(matching.render({ displayName: "d", roleName: "r", now: 0 }, 63)).toMatch(/^[A-Za-z0-9]{20}-true-false$/);
  });

  it("refuses a render doing more than its work budget (many steps over long values)", () => {
    const long = `.RoleName | replace "x" "${"x".repeat(56)}"`;
    expectRefused(`{{ ${long} ${repeat("| uppercase | lowercase ", 100)} | truncate 8 }}{{random 20}}`, /more work than a username template may take/);
  });

  it("keeps error messages short: a long name or argument is cut in the message", () => {
    expectRefused(`{{ .RoleName | ${"f".repeat(3000)} }}{{random 20}}`, /unknown function "f{10,}…"/);
    expectRefused(`{{ .${"F".repeat(3000)} }}{{random 20}}`, /unknown field \.F{10,}…/);
    expectRefused(`{{ truncate "${"8".repeat(3000)}" .RoleName }}{{random 20}}`, /must be an integer/);
    expectRefused(`{{${"n".repeat(3000)}}}-{{random 20}}`, /unknown value "n{10,}…"/);
  });
});

describe("the randomness rule is judged on real renders", () => {
  it("refuses a template that replaces the random characters away, whatever else varies", () => {
    const collapse = [...ALPHABET].map((c) => `| replace "${c}" "x"`).join(" ");
    // Before: the markers survived `replace`, and the hash of another random value made two renders differ.
    expectRefused(`v-{{ random 8 ${collapse} }}-{{ random 20 | sha256 | truncate 4 }}`, /needs \{\{random N\}\}.* 0 survive/);
    // Replacing a single letter is enough to stop random text from counting: which ones match depends on the draw.
    expectRefused('{{ printf "v-%s" (random 20 | replace "a" "b") }}', /needs \{\{random N\}\}/);
    expectRefused(`{{ printf "v-%s-%s" (random 20) .RoleName | truncate 30 | replace "v-" "w" }}`, /needs \{\{random N\}\}/);
  });

  it("counts one random character copied many times once", () => {
    expectRefused('{{ .RoleName | replace "x" (random 1) | truncate 40 }}', /needs \{\{random N\}\}.* 1 survive/);
  });

  it("counts what survives truncation, hashing and encoding: none of them keeps random characters", () => {
    expectRefused("{{ random 20 | truncate 3 }}", /3 survive/);
    expectRefused("{{ random 20 | sha256 }}", /0 survive/);
    expectRefused("{{ random 20 | base64 }}", /0 survive/);
    expectRefused("{{ random 20 | truncate_sha256 12 }}", /4 survive/);
  });

  it("checks each real render: a long role name that pushes the random part out is refused, not turned into a fixed name", () => {
    const template = UsernameTemplate.parse('{{ .RoleName | replace "x" "" }}-{{ random 20 }}', 63);
    expect(template.render({ displayName: "d", roleName: "reader", now: 0 }, 63)).toMatch(/^reader-[A-Za-z0-9]{20}$/);
    const long = "readonly-".repeat(9);
    const start = performance.now();
    expect(() => template.render({ displayName: "d", roleName: long, now: 0 }, 63)).toThrow(InvalidRequestError);
    expect(() => template.render({ displayName: "d", roleName: long, now: 0 }, 63)).toThrow(/needs \{\{random N\}\}.* 0 survive/);
    expect(performance.now() - start).toBeLessThan(GUARD_MS);
  });

  it.each([
    ["PostgreSQL", '{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (random 20) (unix_time) | truncate 63 }}', 63, /^v-token-ab-reader-[A-Za-z0-9]{20}-\d+$/],
    ["Redshift (lowercase keeps random characters)", '{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (random 20) (unix_time) | truncate 63 | lowercase }}', 63, /^v-token-ab-reader-[a-z0-9]{20}-\d+$/],
    ["Snowflake (replace of a non-alphanumeric keeps them)", '{{ printf "v_%s_%s_%s_%s" (.DisplayName | truncate 32) (.RoleName | truncate 32) (random 20) (unix_time) | truncate 255 | replace "-" "_" }}', 255, /^v_token_abc_reader_[A-Za-z0-9]{20}_\d+$/],
    ["uuid", "v-{{ uuid }}", 63, /^v-[0-9a-f-]{36}$/],
    ["earlier syntax", "v-{{display_name | truncate 8}}-{{random 8 | uppercase}}", 63, /^v-token-ab-[A-Z0-9]{8}$/],
  ])("Vault's documented defaults keep working: %s", (_name, template, maxBytes, expected) => {
    const name = UsernameTemplate.parse(template, maxBytes).render({ displayName: "token-abc", roleName: "reader", now: 1_700_000_000_000 }, maxBytes);
    expect(name).toMatch(expected);
  });
});

describe("a config write with an unbounded username_template", () => {
  const seed = useEngineFixture();

  it.each([
    ["exponential replace", `{{ .RoleName ${repeat(' | replace "x" "xxxxxxxxxx"', 9)} }}{{random 20}}`],
    ["huge random", "{{ printf `%s` (random 1000000) }}"],
    ["deep parentheses", `{{ ${"(".repeat(1000)}random 20${")".repeat(1000)} }}`],
    ["randomness replaced away", `v-{{ random 8 ${[...ALPHABET].map((c) => `| replace "${c}" "x"`).join(" ")} }}-{{ random 20 | sha256 | truncate 4 }}`],
  ])("is refused with a 400 and keeps the stored config: %s", async (_name, template) => {
    const { root } = await seed();
    const error = await root.write("database/config/fake", { username_template: template }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({ code: "invalid_request", status: 400 });
    const config = await root.read<{ connection_details: { username_template: string } }>("database/config/fake");
    expect(config.data!.connection_details.username_template ?? "").toBe("");
    expect((await root.read<{ username: string }>("database/creds/readonly")).data!.username).toMatch(/^v-root-readonly-/);
  });
});
