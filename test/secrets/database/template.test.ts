import Mustache from "mustache";
import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../../src/errors.js";
import { renderTemplate, validateTemplate } from "../../../src/secrets/database/template.js";

describe("templates", () => {
  it("never HTML-escapes values", () => {
    expect(renderTemplate("PASSWORD '{{password}}'", { password: "a<b>&c" })).toBe("PASSWORD 'a<b>&c'");
  });

  it("rejects unknown variables, naming them and the field", () => {
    expect(() => validateTemplate(`CREATE ROLE "{{nmae}}"`, ["name"], "creation_statements")).toThrow(InvalidRequestError);
    expect(() => validateTemplate(`CREATE ROLE "{{nmae}}"`, ["name"], "creation_statements")).toThrow(/creation_statements.*nmae/);
  });

  it("rejects sections and partials", () => {
    expect(() => validateTemplate("{{#name}}x{{/name}}", ["name"], "f")).toThrow(InvalidRequestError);
    expect(() => validateTemplate("{{> name}}", ["name"], "f")).toThrow(InvalidRequestError);
  });

  it("rejects malformed templates", () => {
    expect(() => validateTemplate("{{name", ["name"], "f")).toThrow(InvalidRequestError);
  });

  it.each([
    ["a section", "postgresql://a:pw{{#Zq7xK9wP}}x{{/Zq7xK9wP}}@h/db", /another kind of tag at character 18/],
    ["an unclosed section", "postgresql://a:pw{{#Zq7xK9wP}}@h/db", /malformed template: an unclosed or unopened \{\{ \}\} tag near character/],
    ["an unopened section", "postgresql://a:pw{{/Zq7xK9wP}}@h/db", /malformed template: an unclosed or unopened \{\{ \}\} tag near character 18/],
    ["an unknown variable", "postgresql://a:pw{{Zq7xK9wP}}@h/db", /unknown template variable at character 18; known variables are \{\{username\}\}/],
  ])("with quoteText: false, names %s by position, never quoting its text", (_what, template, message) => {
    const check = () => validateTemplate(template, ["username", "password"], "connection_url", { quoteText: false });
    expect(check).toThrow(InvalidRequestError);
    expect(check).toThrow(message);
    expect(check).not.toThrow(/Zq7xK9wP/);
  });

  it("accepts known variables", () => {
    expect(() => validateTemplate(`GRANT x TO "{{name}}" {{password}}`, ["name", "password"], "f")).not.toThrow();
  });

  it("does not keep every template it parses in mustache's global, unbounded cache", () => {
    const template = `SELECT 1 -- ${Math.random()} {{name}}`;
    validateTemplate(template, ["name"], "f");
    expect(renderTemplate(template, { name: "n" })).toBe(template.replace("{{name}}", "n"));
    const cache = Mustache.templateCache as unknown as { _cache: Record<string, unknown> } | undefined;
    expect(Object.keys(cache?._cache ?? {}).filter((key) => key.startsWith(template))).toEqual([]);
  });

  it("keeps error messages short whatever a tag is called", () => {
    const error = (() => {
      try {
        validateTemplate(`{{${"n".repeat(5000)}}}`, ["name"], "f");
      } catch (err) {
        return err as Error;
      }
    })();
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error!.message.length).toBeLessThan(200);
  });
});
