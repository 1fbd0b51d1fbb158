/**
 * A Go `text/template` subset for `username_template`, so that a template copied from a Vault
 * config works unchanged: fields (`{{.DisplayName}}`), literals, function calls, `(…)` and pipes,
 * with Vault's functions ({@link FUNCTIONS}). No control structures, variables or `template`
 * calls: usernames never need them. Output is never HTML-escaped (Go's `text/template` does not
 * escape either). Written here, interpreted — never compiled or `eval`ed.
 *
 * Bounded (the limits in `limits.ts`): the source's length, the nesting of parentheses, every
 * value, and the work of one render.
 *
 * @module
 */
import { InvalidRequestError } from "../../../errors.js";
import type { FunctionEnvironment } from "./environment.js";
import { callFunction, FUNCTIONS, type CallContext, type Value } from "./functions.js";
import { checkTemplateLength, checkValueLength, quoteShort, RenderBudget } from "./limits.js";
import { parseGoTemplate, type Command, type Node, type Operand, type Pipeline } from "./parser.js";
import { textOf } from "./printf.js";
import { fixedText, joinTexts, type Text } from "./text.js";

export { realEnvironment, type FunctionEnvironment } from "./environment.js";

/** The data a template reads: `{{.Name}}` is `data.Name`. */
export type TemplateData = Readonly<Record<string, string>>;

/** What one render carries down the pipelines. */
interface Render extends CallContext {
  readonly data: TemplateData;
  readonly budget: RenderBudget;
}

/** A parsed Go template. */
export class GoTemplate {
  readonly #nodes: Node[];
  readonly #fields: readonly string[];
  readonly #field: string;

  private constructor(nodes: Node[], fields: readonly string[], field: string) {
    this.#nodes = nodes;
    this.#fields = fields;
    this.#field = field;
  }

  /**
   * Parses `template`; fields outside `fields` and unknown functions are refused here, not at render.
   *
   * @throws InvalidRequestError naming the problem
   */
  static parse(template: string, fields: readonly string[], field = "username_template"): GoTemplate {
    checkTemplateLength(template, field);
    const nodes = parseGoTemplate(template, field);
    const parsed = new GoTemplate(nodes, fields, field);
    for (const node of nodes) if (node.kind === "action") parsed.#check(node.pipeline);
    return parsed;
  }

  /**
   * Renders the template, with the random draw each character is a copy of (see `text.ts`).
   *
   * @throws InvalidRequestError when a function refuses its arguments, or a limit is reached
   */
  render(data: TemplateData, env: FunctionEnvironment): Text {
    const render: Render = { data, env, field: this.#field, budget: new RenderBudget(this.#field) };
    const parts: Text[] = [];
    let length = 0;
    for (const node of this.#nodes) {
      const part = node.kind === "text" ? fixedText(node.value) : textOf(this.#pipeline(node.pipeline, render));
      length += part.text.length;
      checkValueLength(length, "the rendered template", this.#field);
      parts.push(part);
    }
    return joinTexts(parts);
  }

  #check(pipeline: Pipeline): void {
    for (const command of pipeline.commands) {
      for (const operand of command.operands) {
        if (operand.kind === "field" && !this.#fields.includes(operand.name)) {
          throw new InvalidRequestError(`${this.#field}: unknown field .${quoteShort(operand.name).slice(1, -1)}; known fields are ${this.#fields.map((f) => `.${f}`).join(", ")}`);
        }
        if (operand.kind === "function" && !FUNCTIONS.has(operand.name)) {
          throw new InvalidRequestError(`${this.#field}: unknown function ${quoteShort(operand.name)}; known functions are ${[...FUNCTIONS.keys()].join(", ")}`);
        }
        if (operand.kind === "pipeline") this.#check(operand.pipeline);
      }
    }
  }

  #pipeline(pipeline: Pipeline, render: Render): Value {
    let piped: Value | undefined;
    for (const command of pipeline.commands) piped = this.#command(command, piped, render);
    return piped!;
  }

  /** A function call (the piped value last), or a single operand (which cannot take a piped value). */
  #command(command: Command, piped: Value | undefined, render: Render): Value {
    const [head, ...rest] = command.operands;
    if (head!.kind === "function") {
      const args = rest.map((operand) => this.#operand(operand, render));
      if (piped !== undefined) args.push(piped);
      return this.#call(head!.name, args, render);
    }
    if (rest.length > 0 || piped !== undefined) {
      throw new InvalidRequestError(`${this.#field}: only a function can take arguments or a piped value`);
    }
    return this.#operand(head!, render);
  }

  #operand(operand: Operand, render: Render): Value {
    switch (operand.kind) {
      case "field":
        return fixedText(render.data[operand.name] ?? "");
      case "dot":
        throw new InvalidRequestError(`${this.#field}: {{.}} (the whole data) cannot be rendered; use a field such as {{.RoleName}}`);
      case "literal":
        return typeof operand.value === "string" ? fixedText(operand.value) : operand.value;
      case "function":
        // A bare function name as an argument is called without arguments, as in Go.
        return this.#call(operand.name, [], render);
      case "pipeline":
        return this.#pipeline(operand.pipeline, render);
    }
  }

  /** Calls a function, charging what it reads and writes to the render's budget. */
  #call(name: string, args: Value[], render: Render): Value {
    render.budget.spend(args.reduce<number>((sum, arg) => sum + textOf(arg).text.length, 0));
    const result = callFunction(name, args, render);
    render.budget.spend(textOf(result).text.length);
    return result;
  }
}
