/**
 * The limits every WebSocket endpoint applies to what a client sends, the
 * same for the native protocol and the original endpoints: text frames
 * only, at most `MAX_FRAME_BYTES`, at most `RATE_PER_SECOND` messages (with
 * bursts of `RATE_BURST`), and a connection that keeps sending over the rate
 * is closed.
 *
 * @module
 */
import type { Config } from "@/lib/server/config.ts";
import { CLOSE, utf8Length } from "@/lib/shared/protocol.ts";
import { TokenBucket } from "@/lib/server/http/token_bucket.ts";

/** Consecutive refused messages after which a connection is closed. */
/**
 * Frames a connection may send before it is ready (welcomed, or joined to
 * its room): they wait in memory for it, so a slow store must not let a
 * client pile them up. One more closes the connection with 1008.
 */
export const MAX_EARLY_FRAMES = 200;

export const ABUSE_STRIKES = 50;

/** Why a connection must close: a WebSocket close code and its reason. */
export interface Refusal {
  /** One of {@link CLOSE}. */
  code: number;
  /** Said to the client in the close frame. */
  reason: string;
}

/** What {@link FrameGuard.spend} decides for one message. */
export type Spend = "ok" | "limited" | "abusive";

/** One connection's frame limits and message budget. */
export class FrameGuard {
  readonly #maxBytes: number;
  readonly #bucket: TokenBucket;

  /** Creates a guard with a full message budget. */
  constructor(
    config: Pick<Config, "maxFrameBytes" | "ratePerSecond" | "rateBurst">,
  ) {
    this.#maxBytes = config.maxFrameBytes;
    this.#bucket = new TokenBucket(config.ratePerSecond, config.rateBurst);
  }

  /**
   * Checks one frame as it arrives: its text, or why the connection must
   * close (a binary frame, a frame over the size limit).
   */
  admit(data: unknown): { text: string } | { refuse: Refusal } {
    if (typeof data !== "string") {
      return {
        refuse: {
          code: CLOSE.unsupported,
          reason: "Binary frames are not supported",
        },
      };
    }
    // A UTF-16 unit is at most 3 bytes of UTF-8: short frames need no count.
    if (data.length > this.#maxBytes / 3 && utf8Length(data) > this.#maxBytes) {
      return {
        refuse: {
          code: CLOSE.tooBig,
          reason: `Frame over ${this.#maxBytes} bytes`,
        },
      };
    }
    return { text: data };
  }

  /**
   * Spends one message of the budget: `ok`, `limited` (refuse this one), or
   * `abusive` (refused {@link ABUSE_STRIKES} times in a row: close).
   */
  spend(): Spend {
    if (this.#bucket.take()) return "ok";
    return this.#bucket.strikes >= ABUSE_STRIKES ? "abusive" : "limited";
  }
}

/** The refusal for a connection that kept sending over the rate. */
export const ABUSE: Refusal = {
  code: CLOSE.policy,
  reason: "Rate limit exceeded repeatedly",
};
