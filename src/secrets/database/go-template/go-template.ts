/**
 * A Go `text/template` subset for `username_template`, so that a template copied from a Vault
 * config works unchanged: fields (`{{.DisplayName}}`), literals, function calls, `(…)` and pipes,
 * with Vault's functions ({@link FUNCTIONS}). No control structures, variables or `template`
 * calls: usernames never need them. Output is never HTML-escaped (Go's `text/template` does not
 * escape either). Written here, interpreted — never compiled or `eval`ed.
 *
 * @module
 */
import { InvalidRequestError } from "../../../errors.js";
import { callFunction, FUNCTIONS, type FunctionEnvironment, type Value } from "./functions.js";
import { parseGoTemplate, type Command, type Node, type Operand, type Pipeline } from "./parser.js";

export { realEnvironment, type FunctionEnvironment } from "./functions.js";

/** The data a template reads: `{{.Name}}` is `data.Name`. */
export type TemplateData = Readonly<Record<string, string>>;

/** A parsed Go template. */
export class GoTemplate {
  readonly #nodes: Node[];
  readonly #fields: readonly string[];

  private constructor(nodes: Node[], fields: readonly string[]) {
    this.#nodes = nodes;
    this.#fields = fields;
  }

  /**
   * Parses `template`; fields outside `fields` and unknown functions are refused here, not at render.
   *
   * @throws InvalidRequestError naming the problem
   */
  static parse(template: string, fields: readonly string[], field = "username_template"): GoTemplate {
    const nodes = parseGoTemplate(template, field);
    const parsed = new GoTemplate(nodes, fields);
    for (const node of nodes) if (node.kind === "action") parsed.#check(node.pipeline, field);
    return parsed;
  }

  /** Renders the template. @throws InvalidRequestError when a function refuses its arguments */
  render(data: TemplateData, env: FunctionEnvironment): string {
    return this.#nodes.map((node) => (node.kind === "text" ? node.value : String(this.#pipeline(node.pipeline, data, env)))).join("");
  }

  #check(pipeline: Pipeline, field: string): void {
    for (const command of pipeline.commands) {
      for (const operand of command.operands) {
        if (operand.kind === "field" && !this.#fields.includes(operand.name)) {
          throw new InvalidRequestError(`${field}: unknown field .${operand.name}; known fields are ${this.#fields.map((f) => `.${f}`).join(", ")}`);
        }
        if (operand.kind === "function" && !FUNCTIONS.has(operand.name)) {
          throw new InvalidRequestError(`${field}: unknown function ${JSON.stringify(operand.name)}; known functions are ${[...FUNCTIONS.keys()].join(", ")}`);
        }
        if (operand.kind === "pipeline") this.#check(operand.pipeline, field);
      }
    }
  }

  #pipeline(pipeline: Pipeline, data: TemplateData, env: FunctionEnvironment): Value {
    let piped: Value | undefined;
    for (const command of pipeline.commands) piped = this.#command(command, piped, data, env);
    return piped!;
  }

  /** A function call (the piped value last), or a single operand (which cannot take a piped value). */
  #command(command: Command, piped: Value | undefined, data: TemplateData, env: FunctionEnvironment): Value {
    const [head, ...rest] = command.operands;
    if (head!.kind === "function") {
      const args = rest.map((operand) => this.#operand(operand, data, env));
      if (piped !== undefined) args.push(piped);
      return callFunction(head!.name, args, env);
    }
    if (rest.length > 0 || piped !== undefined) {
      throw new InvalidRequestError("username_template: only a function can take arguments or a piped value");
    }
    return this.#operand(head!, data, env);
  }

  #operand(operand: Operand, data: TemplateData, env: FunctionEnvironment): Value {
    switch (operand.kind) {
      case "field":
        return data[operand.name] ?? "";
      case "dot":
        throw new InvalidRequestError("username_template: {{.}} (the whole data) cannot be rendered; use a field such as {{.RoleName}}");
      case "literal":
        return operand.value;
      case "function":
        // A bare function name as an argument is called without arguments, as in Go.
        return callFunction(operand.name, [], env);
      case "pipeline":
        return this.#pipeline(operand.pipeline, data, env);
    }
  }
}
