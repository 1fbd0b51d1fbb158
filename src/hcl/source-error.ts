/**
 * The error raised while reading policy text, before it is given a policy name. `parsePolicy`
 * turns it into an `InvalidRequestError` of the form `policy "<name>": line <n>: <problem>`.
 *
 * @module
 */

/** A problem at a line of policy text. Internal to the policy parser. */
export class PolicySourceError extends Error {
  /** The 1-based line the problem is on. */
  readonly line: number;
  /** What is wrong, without the line prefix. */
  readonly problem: string;

  /**
   * @param line - 1-based line number
   * @param problem - what is wrong and, when it helps, what to write instead
   */
  constructor(line: number, problem: string) {
    super(`line ${line}: ${problem}`);
    this.name = "PolicySourceError";
    this.line = line;
    this.problem = problem;
  }
}
