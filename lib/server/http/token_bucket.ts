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

  /** Takes `n` tokens (one by default); false when fewer are left. */
  take(n = 1): boolean {
    const t = this.now();
    this.#tokens = Math.min(
      this.burst,
      this.#tokens + ((t - this.#last) / 1000) * this.perSecond,
    );
    this.#last = t;
    if (this.#tokens >= n) {
      this.#tokens -= n;
      this.strikes = 0;
      return true;
    }
    this.strikes++;
    return false;
  }
}
