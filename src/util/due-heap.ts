/**
 * The min-heap under `DueQueue` (due-queue.ts): what falls due next, in O(log n).
 *
 * @module
 */

interface HeapEntry {
  dueAt: number;
  id: string;
}

/**
 * A min-heap of (due time, key) with lazy deletion: rescheduling or removing a key only
 * updates the `current` map, and stale heap entries are skipped when they surface. That keeps every
 * operation O(log n) without an index into the heap.
 */
export class DueHeap {
  #heap: HeapEntry[] = [];
  #current = new Map<string, number>();

  /** The number of scheduled ids. */
  get size(): number {
    return this.#current.size;
  }

  /** Schedules (or reschedules) `id` at `dueAt`. */
  schedule(id: string, dueAt: number): void {
    this.#current.set(id, dueAt);
    this.#push({ id, dueAt });
  }

  /** Unschedules `id`. */
  remove(id: string): void {
    this.#current.delete(id);
  }

  /** Whether `id` is scheduled. */
  has(id: string): boolean {
    return this.#current.has(id);
  }

  /** When `id` is due, if scheduled. */
  dueAt(id: string): number | undefined {
    return this.#current.get(id);
  }

  /** Unschedules everything. */
  clear(): void {
    this.#heap = [];
    this.#current.clear();
  }

  /** The soonest due time, or `undefined` when empty. */
  peekTime(): number | undefined {
    this.#dropStale();
    return this.#heap[0]?.dueAt;
  }

  /** Removes and returns every id due at or before `now`, soonest first. */
  popDue(now: number): string[] {
    const due: string[] = [];
    for (let top = this.#top(); top && top.dueAt <= now; top = this.#top()) {
      this.#pop();
      this.#current.delete(top.id);
      due.push(top.id);
    }
    return due;
  }

  #top(): HeapEntry | undefined {
    this.#dropStale();
    return this.#heap[0];
  }

  #dropStale(): void {
    while (this.#heap.length > 0) {
      const top = this.#heap[0]!;
      if (this.#current.get(top.id) === top.dueAt) return;
      this.#pop();
    }
  }

  #push(entry: HeapEntry): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.dueAt <= entry.dueAt) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.dueAt < heap[left]!.dueAt ? right : left;
      if (heap[child]!.dueAt >= last.dueAt) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}
