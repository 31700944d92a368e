/**
 * Dead-peer detection for many connections with one timer. A connection
 * silent for its timeout is pinged; one still silent a timeout after the
 * ping is dropped. A connection whose peer speaks (any frame, a pong) is
 * never pinged: in a busy room nobody pays for pings, and an idle server
 * wakes once a second, not once per socket's interval.
 *
 * @module
 */

/** What a watched connection does when the watch decides. */
export interface Watched {
  /** Asks the peer for a sign of life. */
  ping(): void;
  /** Gives up on the peer. */
  drop(): void;
}

/** One connection's place in an {@link IdleWatch}. */
export interface IdleEntry {
  /** The peer showed a sign of life (a frame, a pong). */
  heard(): void;
  /** Stops watching (the connection closed). */
  stop(): void;
}

interface Entry extends IdleEntry {
  readonly target: Watched;
  /** Timeout, in ticks. */
  readonly ticks: number;
  /** Tick of the last sign of life (or of the start). */
  heardAt: number;
  /** Tick of the unanswered ping, -1 for none. */
  pingedAt: number;
}

/** Watches connections for silence on one shared timer. */
export class IdleWatch {
  readonly #periodMs: number;
  readonly #entries = new Set<Entry>();
  #tick = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** Checks every `periodMs` (1000 by default). */
  constructor(periodMs = 1000) {
    this.#periodMs = periodMs;
  }

  /** Connections watched now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Watches `target`: pinged after `timeoutMs` of silence, dropped after
   * as much again without an answer (times rounded up to the period).
   */
  watch(target: Watched, timeoutMs: number): IdleEntry {
    const entries = this.#entries;
    const entry: Entry = {
      target,
      ticks: Math.max(1, Math.ceil(timeoutMs / this.#periodMs)),
      heardAt: this.#tick,
      pingedAt: -1,
      heard: () => {
        entry.heardAt = this.#tick;
        entry.pingedAt = -1;
      },
      stop: () => {
        entries.delete(entry);
        if (entries.size === 0) {
          clearInterval(this.#timer);
          this.#timer = undefined;
        }
      },
    };
    entries.add(entry);
    this.#timer ??= setInterval(() => this.#check(), this.#periodMs);
    return entry;
  }

  #check(): void {
    const now = ++this.#tick;
    for (const e of this.#entries) {
      if (e.pingedAt < 0) {
        if (now - e.heardAt >= e.ticks) {
          e.pingedAt = now;
          e.target.ping();
        }
      } else if (now - e.pingedAt >= e.ticks) {
        e.stop();
        e.target.drop();
      }
    }
  }
}
