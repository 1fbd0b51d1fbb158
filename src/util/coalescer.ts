/**
 * Runs requests that arrive while earlier ones are under way together, as one: how
 * {@link PostgresStorage} sends sixteen concurrent credentials' token reads, lease writes and
 * activations as a few statements instead of forty-eight. A request that finds a free slot runs at
 * once, alone, so a lone caller waits for nothing; the others wait for a slot and then go in one
 * run with everything else waiting.
 *
 * @module
 */

/** Options of a {@link Coalescer}. */
export interface CoalescerOptions<Request> {
  /** Runs in flight at once; requests beyond wait and are combined (default 2). */
  maxInFlight?: number;
  /** Requests one run takes at most (default 64). */
  maxBatch?: number;
  /**
   * The keys a request touches: a request never shares a run with another of its keys, nor starts
   * while a run holding one of them is under way, so requests on one key run in arrival order.
   */
  keysOf?: (request: Request) => readonly string[];
}

interface Waiting<Request, Result> {
  request: Request;
  resolve: (result: Result) => void;
  reject: (err: unknown) => void;
}

/**
 * Combines concurrent requests into runs of `run`, which answers each request of a run, in order.
 * A combined run that throws is run again one request at a time, so that a request that cannot
 * succeed (a key the database refuses, say) fails alone, never the others beside it: `run` must
 * therefore have no effect when it throws (one statement, all or nothing).
 */
export class Coalescer<Request, Result> {
  readonly #run: (requests: Request[]) => Promise<Result[]>;
  readonly #maxInFlight: number;
  readonly #maxBatch: number;
  readonly #keysOf: ((request: Request) => readonly string[]) | undefined;
  readonly #waiting: Array<Waiting<Request, Result>> = [];
  #inFlight = 0;
  /** How many requests of the runs under way hold each key. */
  readonly #busyKeys = new Map<string, number>();

  /** @param run - answers a run's requests, one result per request, in their order */
  constructor(run: (requests: Request[]) => Promise<Result[]>, options: CoalescerOptions<Request> = {}) {
    this.#run = run;
    this.#maxInFlight = options.maxInFlight ?? 2;
    this.#maxBatch = options.maxBatch ?? 64;
    this.#keysOf = options.keysOf;
  }

  /** Runs `request`, alone or with others; resolves to its own result. */
  submit(request: Request): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.#waiting.push({ request, resolve, reject });
      this.#startRuns();
    });
  }

  #startRuns(): void {
    while (this.#inFlight < this.#maxInFlight && this.#waiting.length > 0) {
      const run = this.#takeRun();
      if (run.length === 0) return; // every waiting request waits for a key under way
      void this.#runNext(run);
    }
  }

  /** The waiting requests the next run takes: in order, up to the cap, no two sharing a key. */
  #takeRun(): Array<Waiting<Request, Result>> {
    const keysOf = this.#keysOf;
    if (!keysOf) return this.#waiting.splice(0, this.#maxBatch);
    const taken: Array<Waiting<Request, Result>> = [];
    const left: Array<Waiting<Request, Result>> = [];
    // Keys of the runs under way, of the requests taken and of those left behind: a request
    // sharing a key with any of them waits, behind the one before it.
    const seen = new Set<string>(this.#busyKeys.keys());
    for (const entry of this.#waiting) {
      const keys = keysOf(entry.request);
      const blocked = taken.length >= this.#maxBatch || keys.some((key) => seen.has(key));
      for (const key of keys) seen.add(key);
      (blocked ? left : taken).push(entry);
    }
    this.#waiting.splice(0, this.#waiting.length, ...left);
    return taken;
  }

  #hold(run: Array<Waiting<Request, Result>>, change: 1 | -1): void {
    if (!this.#keysOf) return;
    for (const { request } of run) {
      for (const key of new Set(this.#keysOf(request))) {
        const count = (this.#busyKeys.get(key) ?? 0) + change;
        if (count === 0) this.#busyKeys.delete(key);
        else this.#busyKeys.set(key, count);
      }
    }
  }

  async #runNext(group: Array<Waiting<Request, Result>>): Promise<void> {
    this.#inFlight++;
    this.#hold(group, 1);
    try {
      const results = await this.#run(group.map(({ request }) => request));
      group.forEach(({ resolve }, i) => resolve(results[i]!));
    } catch (err) {
      if (group.length === 1) group[0]!.reject(err);
      else await Promise.all(group.map(({ request, resolve, reject }) => this.#run([request]).then(([result]) => resolve(result!), reject)));
    } finally {
      this.#inFlight--;
      this.#hold(group, -1);
      this.#startRuns();
    }
  }
}
