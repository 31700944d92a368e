/**
 * How late this process's timers run: the time its event loop was too busy
 * (or the machine too loaded) to get to its work. The listener gives that
 * time back to connections waiting for their headers, so a server that
 * stalls doesn't shed its clients as slow.
 *
 * The clock only ticks while someone holds it, so an idle server (sockets
 * open, nobody mid-request) is not woken ten times a second for nothing.
 *
 * @example
 * ```ts
 * const lag = new LoopLag();
 * lag.hold();
 * const from = lag.total;
 * // … later, in a timer:
 * const owed = lag.total - from;
 * lag.release();
 * ```
 *
 * @module
 */

/** How often the clock samples the loop's lateness, in ms. */
export const LAG_TICK_MS = 100;

/** Sums the event loop's lateness while anyone holds the clock. */
export class LoopLag {
  /** Milliseconds of lateness seen so far (only grows). */
  total = 0;
  #last = 0;
  #holders = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** Whether the clock is ticking. */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Starts the clock for one more holder. */
  hold(): void {
    if (this.#holders++ > 0) return;
    this.#last = performance.now();
    this.#timer = setInterval(() => {
      const now = performance.now();
      this.total += Math.max(0, now - this.#last - LAG_TICK_MS);
      this.#last = now;
    }, LAG_TICK_MS);
  }

  /** One holder is done; the clock stops with the last. */
  release(): void {
    if (this.#holders === 0 || --this.#holders > 0) return;
    this.stop();
  }

  /** Stops the clock whoever holds it. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#holders = 0;
  }
}
