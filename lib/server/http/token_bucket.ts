/**
 * A token bucket: `burst` tokens, refilled at `perSecond`.
 *
 * @module
 */

/** Limits a rate of events, allowing short bursts. */
export class TokenBucket {
  #tokens: number;
  #last: number;
  /** Consecutive refusals, for telling sustained abuse from a burst. */
  strikes = 0;

  /** Creates a full bucket. */
  constructor(
    readonly perSecond: number,
    readonly burst: number,
    readonly now: () => number = Date.now,
  ) {
    this.#tokens = burst;
    this.#last = now();
  }

  /** Takes a token; false when none is left. */
  take(): boolean {
    const t = this.now();
    this.#tokens = Math.min(
      this.burst,
      this.#tokens + ((t - this.#last) / 1000) * this.perSecond,
    );
    this.#last = t;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      this.strikes = 0;
      return true;
    }
    this.strikes++;
    return false;
  }
}
