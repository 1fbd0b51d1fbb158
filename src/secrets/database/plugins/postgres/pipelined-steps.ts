/**
 * Running several extended-protocol statements, each with its own bind parameters, in one round
 * trip: on a `pg` client, every statement's Parse/Bind/Execute is written at once and a single Sync
 * ends them, so the server runs them in order and stops at the first error (skipping the rest up
 * to the Sync), as it does for a multi-statement simple query. Other clients — a host's pool
 * shaped like `pg.Pool` but not `pg`, or a `pg` client in its own pipeline mode — get the steps
 * one after another, with the same outcome in more round trips.
 *
 * Unlike one simple query, the server reports each statement's text separately: what
 * `pg_stat_activity` keeps once the connection is idle is the last statement's (`COMMIT`).
 *
 * @module
 */
import type { PostgresPoolClient } from "../../../../util/postgres-pool.js";
import type { QueryStep } from "./secret-statements.js";

/** The writing side of `pg`'s `Connection` that {@link PipelinedSteps} uses (as `pg-cursor` does). */
interface WireConnection {
  parse(query: { text: string; name: string; types: unknown[] }): void;
  bind(config: { portal: string; statement: string; values: string[] }): void;
  execute(config: { portal: string; rows: number }): void;
  sync(): void;
  sendCopyFail(message: string): void;
  stream?: { cork?(): void; uncork?(): void };
}

/** A `pg` client as far as submitting a custom query goes. */
interface PgClient {
  connection?: Partial<WireConnection>;
  pipeline?: boolean;
  query(submittable: PipelinedSteps): unknown;
}

/**
 * Runs `steps` on `client`, in one round trip when the client is `pg`'s.
 *
 * @throws the server's error for the first step that failed (later steps did not run)
 */
export async function runSteps(client: PostgresPoolClient, steps: readonly QueryStep[]): Promise<void> {
  if (acceptsPipeline(client)) {
    await new Promise<void>((resolve, reject) => client.query(new PipelinedSteps(steps, (err) => (err ? reject(err) : resolve()))));
    return;
  }
  for (const step of steps) await client.query(step.text, step.values);
}

/** Whether `client` is a `pg` client that takes {@link PipelinedSteps} (`pg`'s pipeline mode refuses custom queries). */
function acceptsPipeline(client: PostgresPoolClient): client is PostgresPoolClient & PgClient {
  const { connection, pipeline } = client as unknown as PgClient;
  return (
    pipeline !== true &&
    typeof connection?.parse === "function" &&
    typeof connection.bind === "function" &&
    typeof connection.execute === "function" &&
    typeof connection.sync === "function"
  );
}

/**
 * A custom query in `pg`'s "submittable" shape: `submit` writes the messages, and the client
 * hands it the server's replies until the ReadyForQuery after the Sync (or the first error).
 * Results are not read: none of the steps' rows are needed.
 */
class PipelinedSteps {
  /** Called once, when the server has answered the Sync or reported an error. `pg` may wrap it (query timeouts). */
  callback: (err: Error | null) => void;
  readonly #steps: readonly QueryStep[];
  #done = false;

  constructor(steps: readonly QueryStep[], callback: (err: Error | null) => void) {
    this.#steps = steps;
    this.callback = callback;
  }

  submit(connection: WireConnection): null {
    // Corked, the messages leave in one write instead of one per message.
    connection.stream?.cork?.();
    try {
      for (const step of this.#steps) {
        connection.parse({ text: step.text, name: "", types: [] });
        connection.bind({ portal: "", statement: "", values: step.values ?? [] });
        connection.execute({ portal: "", rows: 0 });
      }
      connection.sync();
    } finally {
      connection.stream?.uncork?.();
    }
    return null;
  }

  handleReadyForQuery(): void {
    this.#finish(null);
  }

  handleError(err: Error): void {
    this.#finish(err);
  }

  /** A `COPY … FROM STDIN` among the steps: nothing to send, so the server fails the step. */
  handleCopyInResponse(connection: WireConnection): void {
    connection.sendCopyFail("COPY FROM STDIN is not supported in these statements");
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}

  #finish(err: Error | null): void {
    if (this.#done) return;
    this.#done = true;
    this.callback(err);
  }
}
