/**
 * Tells the server what has been read, debounced: while messages keep
 * arriving on screen, one `read` frame per room goes out once they pause,
 * naming the newest id seen.
 *
 * @module
 */
import type { ClientFrame } from "@/lib/shared/protocol.ts";

/** How long reading pauses before the server hears of it. */
export const READ_DEBOUNCE_MS = 400;

/** Debounces `read` frames per room. */
export class ReadMarker {
  readonly #send: (frame: ClientFrame) => boolean;
  readonly #delay: number;
  /** Per room, the newest id seen and not yet sent, with its timer. */
  readonly #waiting = new Map<
    string,
    { id: number; timer: ReturnType<typeof setTimeout> }
  >();

  /** Sends through `send` (false: not connected, tried again on the next mark). */
  constructor(
    send: (frame: ClientFrame) => boolean,
    delay: number = READ_DEBOUNCE_MS,
  ) {
    this.#send = send;
    this.#delay = delay;
  }

  /** Notes that everything up to `id` of `room` was seen. */
  mark(room: string, id: number): void {
    const w = this.#waiting.get(room);
    if (w && w.id >= id) return;
    if (w) clearTimeout(w.timer);
    const timer = setTimeout(() => {
      this.#waiting.delete(room);
      this.#send({ type: "read", room, id });
    }, this.#delay);
    this.#waiting.set(room, { id, timer });
  }

  /** Sends what waits at once (e.g. the tab is being hidden). */
  flush(): void {
    for (const [room, w] of this.#waiting) {
      clearTimeout(w.timer);
      this.#send({ type: "read", room, id: w.id });
    }
    this.#waiting.clear();
  }

  /** Drops what waits. */
  stop(): void {
    for (const w of this.#waiting.values()) clearTimeout(w.timer);
    this.#waiting.clear();
  }
}
