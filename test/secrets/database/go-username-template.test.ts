/**
 * Vault's (Go `text/template`) username templates: every example of Vault's username-templating
 * page renders with the shape the page gives (time 2009-02-13 23:31:30 UTC, unix 1234567890).
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../../src/errors.js";
import { isGoTemplate, UsernameTemplate } from "../../../src/secrets/database/username-template.js";
import { formatGoTime } from "../../../src/secrets/database/go-template/go-time-format.js";

const NOW = 1234567890 * 1000;
const DISPLAY = "token-with-display-name";
const ROLE = "my_custom_database_role";
/** Templates without randomness are refused for usernames; the page's field examples get a random suffix to be accepted. */
const render = (template: string, maxBytes = 255, displayName = DISPLAY, roleName = ROLE) =>
  UsernameTemplate.parse(template, maxBytes).render({ displayName, roleName, now: NOW }, maxBytes);
const withRandom = (template: string) => render(`${template}_{{random 8}}`).replace(/_[A-Za-z0-9]{8}$/, "");

describe("Vault's username templates (Go syntax)", () => {
  it("Vault's documented PostgreSQL default renders v-<display 8>-<role 8>-<20 random>-<unix time>", () => {
    const template = '{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (random 20) (unix_time) | truncate 63 }}';
    expect(isGoTemplate(template)).toBe(true);
    expect(render(template, 63)).toMatch(/^v-token-wi-my_custo-[A-Za-z0-9]{20}-1234567890$/);
  });

  it("basic example: {{.DisplayName}}_{{.RoleName}} (refused alone: no randomness)", () => {
    expect(() => UsernameTemplate.parse("{{.DisplayName}}_{{.RoleName}}", 63)).toThrow(/needs \{\{random N\}\}/);
    expect(withRandom("{{.DisplayName}}_{{.RoleName}}")).toBe("token-with-display-name_my_custom_database_role");
  });

  it("custom functions example: replace, uppercase, timestamp", () => {
    const template = 'FOO_{{.DisplayName | replace "-" "_" | uppercase}}_{{.RoleName | replace "-" "_" | uppercase}}_{{timestamp "2006_01_02T15_04_05Z" | replace "-" "_"}}';
    // The page shows a trailing `_0700`, which Go's layout rules do not produce: `Z` alone is literal.
    expect(withRandom(template)).toBe("FOO_TOKEN_WITH_DISPLAY_NAME_MY_CUSTOM_DATABASE_ROLE_2009_02_13T23_31_30Z");
  });

  it("truncating example: printf, then truncate 45", () => {
    const template = '{{printf "v_%s_%s_%s_%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (random 20) (unix_time) | truncate 45}}';
    expect(render(template)).toMatch(/^v_token-wi_my_custo_[A-Za-z0-9]{20}_1234$/);
  });

  it.each([
    ["{{.FieldName | lowercase}}", "{{.DisplayName | uppercase | lowercase}}", DISPLAY],
    ["{{.FieldName | replace - _}}", "{{.DisplayName | replace - _}}", "token_with_display_name"],
    ["{{.FieldName | truncate 10}}", "{{.DisplayName | truncate 10}}", "token-with"],
    ["{{.FieldName | uppercase}}", "{{.DisplayName | uppercase}}", "TOKEN-WITH-DISPLAY-NAME"],
    ["{{.FieldName | sha256}}", "{{.RoleName | sha256}}", createHash("sha256").update(ROLE).digest("hex")],
    ["{{.FieldName | base64}}", "{{ .RoleName | base64 }}", Buffer.from(ROLE).toString("base64")],
    ['{{timestamp "2006-01-02T15:04:05Z"}}', '{{timestamp "2006-01-02T15:04:05Z"}}', "2009-02-13T23:31:30Z"],
    ["{{unix_time}}", "{{unix_time}}", "1234567890"],
    ["{{unix_time_millis}}", "{{unix_time_millis}}", "1234567890000"],
  ])("function example %s", (_example, template, expected) => {
    expect(withRandom(template)).toBe(expected);
  });

  it("truncate_sha256 example: abcdefghijklmnopqrstuvwxyz → abcdefghijkl872808ff (hash of the cut-off part)", () => {
    expect(withRandom("{{.RoleName | truncate_sha256 20}}".replace(".RoleName", '"abcdefghijklmnopqrstuvwxyz"'))).toBe("abcdefghijkl872808ff");
  });

  it("random example: {{random 20}} is 20 characters of [A-Za-z0-9], fresh each time", () => {
    const names = new Set(Array.from({ length: 50 }, () => render("{{random 20}}")));
    expect(names.size).toBe(50);
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9]{20}$/);
  });

  it("uuid example: counts as randomness", () => {
    expect(render("v-{{uuid}}")).toMatch(/^v-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it("trim markers and comments, spaces optional", () => {
    expect(withRandom("{{- /* a comment */ -}}  {{.RoleName -}}  x")).toBe(`${ROLE}x`);
  });

  it("tells the two syntaxes apart: quoted text in the earlier syntax is not a Go field", () => {
    expect(isGoTemplate('{{role_name | replace "." "_"}}-{{random 20}}')).toBe(false);
    expect(render('{{role_name | truncate 10 | replace "." "_"}}-{{random 8}}', 63, "d", "a.b")).toMatch(/^a_b-[A-Za-z0-9]{8}$/);
    expect(isGoTemplate("{{random 20}}")).toBe(false);
    expect(isGoTemplate('{{ "x" }}{{random 20}}')).toBe(true);
    expect(isGoTemplate("{{.RoleName}}")).toBe(true);
    expect(isGoTemplate("{{random 20 -}}")).toBe(true);
  });

  it("Go time layouts", () => {
    expect(formatGoTime("Mon Jan _2 15:04:05 MST 2006", NOW)).toBe("Fri Feb 13 23:31:30 UTC 2009");
    expect(formatGoTime("January 2, 2006 3:04PM -07:00", NOW)).toBe("February 13, 2009 11:31PM +00:00");
  });

  it("keeps security: names cannot break out of quotes, output is never HTML-escaped, unsafe literals are refused", () => {
    const name = render('{{.DisplayName | truncate 30}}-{{random 10}}', 63, `x"; DROP ROLE a; --'&<>`);
    expect(name).not.toMatch(/["'\\;$ &<>]/);
    expect(() => UsernameTemplate.parse(`{{printf "%s'" (random 20)}}`, 63)).toThrow(/renders characters outside/);
    // Data-dependent: the probe's names have no `_`; the render that would insert a quote still refuses.
    const quoting = UsernameTemplate.parse('{{ .RoleName | truncate 8 | replace "_" "\\"" }}{{random 20}}', 63);
    expect(() => quoting.render({ displayName: DISPLAY, roleName: ROLE, now: NOW }, 63)).toThrow(/renders characters outside/);
  });

  it("refuses templates whose random part does not survive or can be collapsed", () => {
    expect(() => UsernameTemplate.parse('{{printf "%s%s" .RoleName (random 20) | truncate 20}}', 63)).toThrow(/needs \{\{random N\}\}/);
    expect(() => UsernameTemplate.parse("{{random 20 | sha256 | truncate 8}}", 63)).toThrow(/needs \{\{random N\}\}/);
  });

  it.each([
    ["{{.Nope}}-{{random 20}}", /unknown field \.Nope/],
    ["{{.RoleName | frob}}-{{random 20}}", /unknown function "frob"/],
    ["{{if .RoleName}}x{{end}}{{random 20}}", /\{\{if\}\} is not supported/],
    ["{{$x := 1}}{{random 20}}", /variables/],
    ['{{truncate "8" .RoleName}}-{{random 20}}', /must be an integer/],
    ["{{(random 20}}", /unclosed/],
    ['{{printf "%x" (random 20)}}', /%x verb/],
    ["{{ .RoleName | truncate 0 }}{{random 20}}", /max length must be > 0/],
  ])("rejects %s", (template, message) => {
    expect(() => UsernameTemplate.parse(template, 63)).toThrow(InvalidRequestError);
    expect(() => UsernameTemplate.parse(template, 63)).toThrow(message);
  });
});
