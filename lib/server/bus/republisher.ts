/**
 * Message events a bus failed to hand to the other instances, published
 * again. A message is stored before it is published, so another instance
 * that missed one finds it in the store, but only once something tells it
 * to look: the room's next message (its id shows the gap) or a resync. In a
 * quiet room the last message could wait for good. So a bus hands the
 * message events it failed to publish to a {@link Republisher}, which
 * publishes them again after 1 s, 2 s, 4 s… for about a minute. Receivers
 * drop a message they have, so a copy that got through after all costs
 * nothing. Ephemeral events (typing, presence) are not retried: newer ones
 * replace them.
 *
 * @module
 */
import type { BusEvent } from "./bus.ts";

/** Tries per event: 1 + 2 + 4 + 8 + 16 + 30 s, about a minute. */
const MAX_TRIES = 6;
/** The longest wait between two tries. */
const MAX_WAIT_MS = 30_000;
/** Events waiting at most; past it the oldest are left to the store. */
const MAX_WAITING = 10_000;

interface Waiting {
  event: BusEvent;
  tries: number;
  due: number;
}

/** Publishes failed message events again, with backoff. */
export class Republisher {
  readonly #publish: (event: BusEvent) => Promise<unknown>;
  readonly #waiting: Waiting[] = [];
  /** Tries made so far, by event (the bus hands back the same object). */
  readonly #tries = new WeakMap<BusEvent, number>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /** `publish` is the bus's own: a failure comes back through {@link failed}. */
  constructor(publish: (event: BusEvent) => Promise<unknown>) {
    this.#publish = publish;
  }

  /** How many events wait to be published again. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** `event` could not be published to the other instances. */
  failed(event: BusEvent): void {
    if (this.#closed || event.kind !== "message") return;
    const tries = (this.#tries.get(event) ?? 0) + 1;
    if (tries > MAX_TRIES) return;
    this.#tries.set(event, tries);
    const wait = Math.min(MAX_WAIT_MS, 1000 * 2 ** (tries - 1));
    if (this.#waiting.length >= MAX_WAITING) this.#waiting.shift();
    this.#waiting.push({ event, tries, due: Date.now() + wait });
    this.#schedule();
  }

  /** Drops what waits and stops. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#waiting.length = 0;
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#waiting.length === 0) return;
    const next = Math.min(...this.#waiting.map((w) => w.due));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const now = Date.now();
      const due = this.#waiting.filter((w) => w.due <= now);
      const later = this.#waiting.filter((w) => w.due > now);
      this.#waiting.splice(0, this.#waiting.length, ...later);
      for (const w of due) this.#publish(w.event).catch(() => {});
      this.#schedule();
    }, Math.max(0, next - Date.now()));
  }
}
