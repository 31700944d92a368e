/**
 * Typing indicators: who is typing in which room, each entry expiring on
 * its own after a time to live, so a client that vanishes mid-sentence
 * doesn't leave "typing…" behind.
 *
 * @module
 */
import { roomKey } from "@/lib/shared/names.ts";

/** Tracks typing per room and user and reports every change. */
export class Typing {
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #ttlMs: number;
  readonly #onChange: (room: string, user: string, typing: boolean) => void;

  /** Creates a tracker that calls `onChange` on every start and stop. */
  constructor(
    ttlMs: number,
    onChange: (room: string, user: string, typing: boolean) => void,
  ) {
    this.#ttlMs = ttlMs;
    this.#onChange = onChange;
  }

  /** Records a typing state; `true` expires after the time to live. */
  set(room: string, user: string, typing: boolean): void {
    const key = roomKey(room, user);
    clearTimeout(this.#timers.get(key));
    this.#timers.delete(key);
    if (typing) {
      this.#timers.set(
        key,
        setTimeout(() => this.set(room, user, false), this.#ttlMs),
      );
    }
    this.#onChange(room, user, typing);
  }

  /** Ends `user`'s typing in `room` if it was on (e.g. they sent). */
  stop(room: string, user: string): void {
    // Called for every message delivered; nobody typing is the usual case.
    if (this.#timers.size === 0) return;
    if (this.#timers.has(roomKey(room, user))) this.set(room, user, false);
  }

  /** Cancels every timer. */
  close(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }
}
