/**
 * Group commit for the stores: calls arriving while a commit is in flight
 * wait and go together in the next one, so a burst costs a few commits
 * instead of one per call. Each call resolves only once its own commit is
 * done. A failed batch is retried call by call, so one bad call fails alone.
 *
 * Under load, commits can also be spaced ({@link BatcherOptions.spacingMs}):
 * a commit that ends with calls already waiting lets the next start only
 * once `spacingMs` has passed since its own start, so each carries more of
 * them (PostgreSQL's `commit_delay` idea, applied only when calls queue: a
 * call arriving at an idle batcher commits at once).
 *
 * @module
 */

/** Options of {@link Batcher}. */
export interface BatcherOptions<T> {
  /** Most items per commit. */
  maxItems: number;
  /** An item's weight (e.g. bytes), capped per commit by `maxWeight`. */
  weight?: (item: T) => number;
  /** Most total weight per commit; a single heavier item still goes alone. */
  maxWeight?: number;
  /**
   * Whether a failed batch should be retried item by item (default: yes).
   * An outage fails every item at once instead.
   */
  retryAlone?: (error: unknown) => boolean;
  /**
   * Whether a failed batch's `error` settles `item` as it is: the item
   * fails with it instead of being retried alone (a send whose room was
   * found gone must not be tried again, as a room made since under its id
   * would take it).
   */
  refuses?: (error: unknown, item: T) => boolean;
  /**
   * Shortest time in ms from one commit's start to the next's while calls
   * keep queueing (default 0: the next starts as soon as one is done).
   * Fewer, larger commits cost less CPU per call, at up to this much more
   * latency under load; none when calls come one at a time.
   */
  spacingMs?: number;
}

interface Pending<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/**
 * Commits queued items in batches, one commit in flight at a time, in
 * arrival order.
 *
 * @example
 * ```ts
 * const writes = new Batcher<number, number>(
 *   async (xs) => xs.map((x) => x * 2),
 *   { maxItems: 100 },
 * );
 * await writes.push(21); // 42
 * ```
 */
export class Batcher<T, R> {
  readonly #commit: (items: T[]) => Promise<R[]>;
  readonly #options: BatcherOptions<T>;
  #queue: Pending<T, R>[] = [];
  /** Set and cleared synchronously with the queue check, so no push is missed. */
  #running = false;
  #drained: Promise<void> = Promise.resolve();
  /** The batch being committed (or retried item by item). */
  #inFlight: Pending<T, R>[] = [];

  /** `commit` stores a batch and returns one result per item, in order. */
  constructor(
    commit: (items: T[]) => Promise<R[]>,
    options: BatcherOptions<T>,
  ) {
    this.#commit = commit;
    this.#options = options;
  }

  /** Queues `item`; resolves with its result once its batch is committed. */
  push(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#running) {
        this.#running = true;
        this.#drained = this.#drain();
      }
    });
  }

  /** Waits until every queued item has been committed or failed. */
  async idle(): Promise<void> {
    while (this.#running) await this.#drained;
  }

  /**
   * Waits until the items queued so far have been committed or failed;
   * unlike {@link idle}, items queued meanwhile are not waited for, so a
   * steady flow of them can't hold the caller forever.
   */
  settled(): Promise<void> {
    // Items settle in order: the one queued last settles last.
    const last = this.#queue.at(-1) ?? this.#inFlight.at(-1);
    if (!last) return Promise.resolve();
    return new Promise((done) => {
      const { resolve, reject } = last;
      last.resolve = (r) => {
        resolve(r);
        done();
      };
      last.reject = (e) => {
        reject(e);
        done();
      };
    });
  }

  async #drain(): Promise<void> {
    try {
      // Let the calls made in the same tick join the first batch.
      await Promise.resolve();
      // The queue check and the flag's reset happen in one synchronous step.
      while (this.#queue.length > 0) {
        const started = performance.now();
        const batch = this.#take();
        this.#inFlight = batch;
        try {
          const results = await this.#commit(batch.map((p) => p.item));
          this.#inFlight = [];
          batch.forEach((p, i) => p.resolve(results[i]));
        } catch (error) {
          const alone = this.#options.retryAlone?.(error) ?? true;
          if (batch.length === 1 || !alone) {
            this.#inFlight = [];
            for (const p of batch) p.reject(error);
            continue;
          }
          for (const p of batch) {
            if (this.#options.refuses?.(error, p.item)) {
              p.reject(error);
              continue;
            }
            await this.#commit([p.item]).then(
              ([r]) => p.resolve(r),
              (e) => p.reject(e),
            );
          }
          this.#inFlight = [];
        }
        await this.#spaced(started);
      }
    } finally {
      this.#running = false;
    }
  }

  /** Waits out the spacing after a commit begun at `started`, if calls wait. */
  async #spaced(started: number): Promise<void> {
    const spacing = this.#options.spacingMs ?? 0;
    if (spacing <= 0 || this.#queue.length === 0) return;
    if (this.#queue.length >= this.#options.maxItems) return;
    const wait = spacing - (performance.now() - started);
    if (wait >= 1) await new Promise((r) => setTimeout(r, Math.ceil(wait)));
  }

  /** The next batch: up to `maxItems` items and `maxWeight` of weight. */
  #take(): Pending<T, R>[] {
    const { maxItems, weight, maxWeight = Infinity } = this.#options;
    let total = 0;
    let n = 0;
    while (n < this.#queue.length && n < maxItems) {
      if (weight) total += weight(this.#queue[n].item);
      if (n > 0 && total > maxWeight) break;
      n++;
    }
    return this.#queue.splice(0, n);
  }
}
