/**
 * Bytes of guest uploads per client address per hour. A guest token costs
 * nothing to mint (every new socket gets one), so the per-person quota alone
 * would let one address fill the store by changing tokens; this budget caps
 * what all guests of one address start within an hour. Kept in memory per
 * instance (fixed one-hour windows): a bound on abuse, not an account.
 *
 * @module
 */

/** One address's use in the current window. */
interface Use {
  /** When the window began (ms). */
  since: number;
  /** Bytes started in it. */
  bytes: number;
}

/** A per-address byte budget over fixed windows. */
export class AddressBudget {
  readonly #uses = new Map<string, Use>();
  readonly #bytes: number;
  readonly #windowMs: number;
  readonly #now: () => number;

  /**
   * @param bytes What one address may start per window.
   * @param windowMs The window's length (default an hour).
   * @param now The clock (injectable for tests).
   */
  constructor(bytes: number, windowMs = 3_600_000, now = Date.now) {
    this.#bytes = bytes;
    this.#windowMs = windowMs;
    this.#now = now;
  }

  /**
   * Takes `bytes` from `address`'s budget: 0 when granted, else the
   * milliseconds until its window ends.
   */
  take(address: string, bytes: number): number {
    const now = this.#now();
    let use = this.#uses.get(address);
    if (!use || now - use.since >= this.#windowMs) {
      if (this.#uses.size >= 10_000) this.#sweep(now);
      use = { since: now, bytes: 0 };
      this.#uses.set(address, use);
    }
    if (use.bytes + bytes > this.#bytes) {
      return use.since + this.#windowMs - now;
    }
    use.bytes += bytes;
    return 0;
  }

  /** Gives back `bytes` taken by a request that was refused later on. */
  refund(address: string, bytes: number): void {
    const use = this.#uses.get(address);
    if (use) use.bytes = Math.max(0, use.bytes - bytes);
  }

  /** Forgets the windows that ended, so the map stays small. */
  #sweep(now: number): void {
    for (const [address, use] of this.#uses) {
      if (now - use.since >= this.#windowMs) this.#uses.delete(address);
    }
  }
}
