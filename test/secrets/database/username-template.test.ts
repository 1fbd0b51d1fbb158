import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../../src/errors.js";
import { DEFAULT_USERNAME_TEMPLATE, UsernameTemplate } from "../../../src/secrets/database/username-template.js";

const NOW = Date.UTC(2026, 0, 11, 0, 37, 14);
const render = (template: string, displayName = "token", roleName = "readonly") =>
  UsernameTemplate.parse(template, 63).render({ displayName, roleName, now: NOW }, 63);

describe("username templates", () => {
  it("renders Vault's default format", () => {
    expect(render(DEFAULT_USERNAME_TEMPLATE)).toMatch(/^v-token-readonly-[A-Za-z0-9]{20}-1768091834$/);
  });

  it("applies helpers left to right: truncate, replace, lowercase, uppercase", () => {
    const name = render('{{role_name | truncate 9 | replace "-" "_" | uppercase}}.{{display_name | truncate 20 | lowercase}}.{{random 8}}', "Alice", "read-only-role");
    expect(name).toMatch(/^READ_ONLY\.alice\.[A-Za-z0-9]{8}$/);
  });

  it("truncate_sha256 keeps a hash of the whole value when it cuts", () => {
    const long = "a-very-long-display-name";
    const hash = createHash("sha256").update(long).digest("hex").slice(0, 8);
    expect(render("{{display_name | truncate_sha256 16}}_{{random 8}}", long)).toMatch(new RegExp(`^a-very-l${hash}_`));
    expect(render("{{display_name | truncate_sha256 16}}_{{random 8}}", "short")).toMatch(/^short_/);
  });

  it("unix_time and unix_time_ms", () => {
    expect(render("{{unix_time}}-{{unix_time_ms}}-{{random 8}}")).toMatch(/^1768091834-1768091834000-/);
  });

  it("never lets a display or role name break out of a quoted identifier or literal", () => {
    const name = render("{{display_name | truncate 20}}-{{role_name | truncate 20}}-{{random 10}}", `x"; DROP ROLE a; --'`, `r$'"\\`);
    expect(name).not.toMatch(/["'\\;$ ]/);
  });

  it("never produces HTML entities", () => {
    expect(render("{{display_name | truncate 8}}_{{random 8}}", "a&b<c>")).toMatch(/^a-b-c-_/);
  });

  it("cuts the result to 63 bytes, and generates unique names", () => {
    const template = "{{random 20}}-{{display_name}}";
    const names = new Set(Array.from({ length: 200 }, () => render(template, "d".repeat(100))));
    expect(names.size).toBe(200);
    for (const name of names) expect(Buffer.byteLength(name)).toBe(63);
  });

  it("refuses a template whose random part can be made fixed (62 replace steps once rendered `postgres`)", () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const collapse = [...alphabet].map((c) => ` | replace "${c}" "x"`).join("");
    const template = `postgres{{random 8${collapse} | truncate 0}}`.replace(" | truncate 0", "");
    expect(() => UsernameTemplate.parse(template, 63)).toThrow(/replace cannot apply to \{\{random N\}\}/);
    expect(() => UsernameTemplate.parse('v-{{random 8 | replace "a" "b"}}', 63)).toThrow(InvalidRequestError);
    expect(() => UsernameTemplate.parse("v-{{random 8 | lowercase}}", 63)).not.toThrow();
  });

  it.each([
    ["{{nope}}-{{random 20}}", /unknown value "nope"/],
    ["{{role_name | frobnicate}}-{{random 20}}", /unknown helper "frobnicate"/],
    ["{{random}}", /random takes one length/],
    ["{{role_name | truncate}}-{{random 20}}", /truncate takes 1 argument/],
    ['{{role_name | replace "a" "\'"}}-{{random 20}}', /replace takes two quoted strings/],
    ["x'{{random 20}}", /literal text/],
    ["{{#role_name}}x{{/role_name}}", /sections/],
    ["{{role_name", /malformed/],
    ["v-{{display_name}}-{{random 20}}", /needs \{\{random N\}\}/],
    ["v-{{role_name | truncate 8}}", /needs \{\{random N\}\}/],
  ])("rejects %s", (template, message) => {
    expect(() => UsernameTemplate.parse(template, 63)).toThrow(InvalidRequestError);
    expect(() => UsernameTemplate.parse(template, 63)).toThrow(message);
  });
});
