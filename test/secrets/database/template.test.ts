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

  it("accepts known variables", () => {
    expect(() => validateTemplate(`GRANT x TO "{{name}}" {{password}}`, ["name", "password"], "f")).not.toThrow();
  });
});
