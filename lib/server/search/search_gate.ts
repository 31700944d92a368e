/**
 * How many searches the server takes: a search reads the index and ranks
 * what it finds, so it costs far more than a message. Each address has a
 * budget (bursts of {@link SEARCH_BURST}, {@link SEARCHES_PER_SECOND}
 * after, {@link MAX_SEARCHES_IN_FLIGHT_PER_ADDRESS} running at once), and
 * the whole server runs at most {@link MAX_SEARCHES_IN_FLIGHT} at once; a search over either limit is refused at once rather than
 * queued, so a flood can't hold memory or delay the chat.
 *
 * @module
 */
import { TokenBucket } from "@/lib/server/http/token_bucket.ts";

/** Searches a second per address, after a burst. */
export const SEARCHES_PER_SECOND = 5;
/** Searches an address may make at once before its rate applies. */
export const SEARCH_BURST = 30;
/** Searches running at once on the whole server. */
export const MAX_SEARCHES_IN_FLIGHT = 8;
/** Searches one address may have running at once. */
export const MAX_SEARCHES_IN_FLIGHT_PER_ADDRESS = 2;
/** Addresses remembered; beyond, the least recently seen are forgotten. */
const MAX_ADDRESSES = 10_000;

/** Why a search was not taken, as an HTTP answer. */
export interface SearchRefusal {
  status: 429 | 503;
  message: string;
  /** Seconds to wait, for `Retry-After`. */
  retryAfter: number;
}

/** Admits searches within their budgets. */
export class SearchGate {
  /** Per address, least recently seen first. */
  readonly #addresses = new Map<
    string,
    { bucket: TokenBucket; running: number }
  >();
  #inFlight = 0;

  /** A gate with the given limits (the defaults above unless said). */
  constructor(
    readonly limits: {
      perSecond?: number;
      burst?: number;
      maxInFlight?: number;
      now?: () => number;
    } = {},
  ) {}

  /** Searches running now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Runs `search` for `address` if both budgets allow, else answers the
   * refusal without running it.
   */
  async run<T>(
    address: string,
    search: () => Promise<T>,
  ): Promise<{ value: T } | { refusal: SearchRefusal }> {
    // The address's own limits first: one address can't take every slot.
    const mine = this.#address(address);
    if (
      mine.running >= MAX_SEARCHES_IN_FLIGHT_PER_ADDRESS || !mine.bucket.take()
    ) {
      return {
        refusal: {
          status: 429,
          message: "Too many searches; wait a moment and try again",
          retryAfter: 1,
        },
      };
    }
    const max = this.limits.maxInFlight ?? MAX_SEARCHES_IN_FLIGHT;
    if (this.#inFlight >= max) {
      return {
        refusal: {
          status: 503,
          message: "The server is busy with other searches; try again",
          retryAfter: 1,
        },
      };
    }
    this.#inFlight++;
    mine.running++;
    try {
      return { value: await search() };
    } finally {
      this.#inFlight--;
      mine.running--;
    }
  }

  /** The address's record, now the most recently seen. */
  #address(address: string): { bucket: TokenBucket; running: number } {
    let entry = this.#addresses.get(address);
    if (entry) this.#addresses.delete(address);
    else {
      // The least recently seen make room: an address in use keeps its own.
      for (const old of this.#addresses.keys()) {
        if (this.#addresses.size < MAX_ADDRESSES) break;
        this.#addresses.delete(old);
      }
      entry = {
        bucket: new TokenBucket(
          this.limits.perSecond ?? SEARCHES_PER_SECOND,
          this.limits.burst ?? SEARCH_BURST,
          this.limits.now,
        ),
        running: 0,
      };
    }
    this.#addresses.set(address, entry);
    return entry;
  }
}
