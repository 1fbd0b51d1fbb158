/**
 * The parser of the Go `text/template` subset: a template is text and actions; an action is a
 * pipeline (`command | command …`); a command is a function call or a single operand.
 *
 * @module
 */
import { InvalidRequestError } from "../../../errors.js";
import { lex, type Token } from "./lexer.js";
import { MAX_TEMPLATE_NESTING } from "./limits.js";

/** An operand: a field of the data, the data itself, a literal, a function name, or a sub-pipeline. */
export type Operand =
  | { kind: "field"; name: string }
  | { kind: "dot" }
  | { kind: "literal"; value: string | number | boolean }
  | { kind: "function"; name: string }
  | { kind: "pipeline"; pipeline: Pipeline };

/** Operands; when the first names a function, the rest are its arguments. */
export interface Command {
  operands: Operand[];
}

/** Commands joined by `|`: each command's result is the last argument of the next. */
export interface Pipeline {
  commands: Command[];
}

/** A parsed template: literal text and pipelines to evaluate, in order. */
export type Node = { kind: "text"; value: string } | { kind: "action"; pipeline: Pipeline };

/**
 * Parses a Go template. Parentheses nest at most {@link MAX_TEMPLATE_NESTING} levels, so the
 * recursion here and in evaluation stays far from the stack's limit.
 *
 * @throws InvalidRequestError naming what is wrong
 */
export function parseGoTemplate(template: string, field: string): Node[] {
  const tokens = lex(template, field);
  const nodes: Node[] = [];
  let index = 0;
  const fail = (what: string): never => {
    throw new InvalidRequestError(`${field}: ${what}`);
  };
  const peek = (): Token | undefined => tokens[index];

  const parsePipeline = (end: "close" | "rparen", depth: number): Pipeline => {
    const commands: Command[] = [];
    for (;;) {
      const operands: Operand[] = [];
      while (peek() && peek()!.kind !== "pipe" && peek()!.kind !== end) operands.push(parseOperand(depth));
      if (operands.length === 0) fail(peek()?.kind === "pipe" || commands.length > 0 ? "missing command in a pipeline" : "empty action");
      commands.push({ operands });
      const next = tokens[index++];
      if (!next) fail(end === "close" ? "unclosed action" : "unclosed (");
      if (next!.kind === end) return { commands };
    }
  };

  const parseOperand = (depth: number): Operand => {
    const token = tokens[index++]!;
    switch (token.kind) {
      case "field":
        return { kind: "field", name: token.name };
      case "dot":
        return { kind: "dot" };
      case "string":
      case "number":
      case "bool":
        return { kind: "literal", value: token.value };
      case "identifier":
        return { kind: "function", name: token.name };
      case "lparen":
        if (depth >= MAX_TEMPLATE_NESTING) fail(`parentheses are nested more than ${MAX_TEMPLATE_NESTING} levels`);
        return { kind: "pipeline", pipeline: parsePipeline("rparen", depth + 1) };
      default:
        return fail(token.kind === "close" ? "unclosed ( in an action" : `unexpected ${token.kind === "rparen" ? ")" : token.kind}`);
    }
  };

  while (index < tokens.length) {
    const token = tokens[index++]!;
    if (token.kind === "text") nodes.push({ kind: "text", value: token.value });
    else if (token.kind === "open") nodes.push({ kind: "action", pipeline: parsePipeline("close", 0) });
    else fail("unexpected token outside an action");
  }
  return nodes;
}
