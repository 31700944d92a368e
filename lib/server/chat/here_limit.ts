/**
 * How often one person may use `@here` in a room. An `@here` mentions
 * everyone online in the room, so its cost grows with the room (a store
 * lookup and a mention record each): a person sending it at the message
 * rate could keep a server of a big room busy. Kept in memory; what other
 * instances stored comes to each on the bus ({@link HereLimit.note}).
 *
 * @module
 */
import { roomKey } from "@/lib/shared/names.ts";

/** The shortest time between one person's `@here`s in one room. */
export const HERE_EVERY_MS = 30_000;

/** Entries kept before those past their wait are dropped. */
const MAX_ENTRIES = 10_000;

/** Who used `@here` where, and when. */
export class HereLimit {
  /** When each person last used `@here` in each room, and in what send. */
  readonly #last = new Map<string, { at: number; clientId?: string }>();

  /** A limit of one `@here` per `everyMs`, on the clock `now`. */
  constructor(
    readonly everyMs: number = HERE_EVERY_MS,
    readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether `who` may use `@here` in `room` now; if so, it counts as used.
   * A resend of the send that used it (same `clientId`) may, again.
   *
   * @example
   * ```ts
   * const limit = new HereLimit();
   * limit.take("account:ana", "general", "c1"); // true
   * limit.take("account:ana", "general", "c2"); // false, for 30 s
   * limit.take("account:ana", "general", "c1"); // true: a resend
   * ```
   */
  take(who: string, room: string, clientId?: string): boolean {
    const t = this.now();
    const key = roomKey(room, who);
    const last = this.#last.get(key);
    if (last !== undefined && t - last.at < this.everyMs) {
      return clientId !== undefined && last.clientId === clientId;
    }
    this.#set(key, { at: t, clientId });
    return true;
  }

  /**
   * `who` used `@here` in `room` in the send `clientId`, stored by some
   * instance (this one's own are taken already): it counts as used from now.
   */
  note(who: string, room: string, clientId?: string): void {
    const key = roomKey(room, who);
    const last = this.#last.get(key);
    if (last !== undefined && last.clientId === clientId) return;
    this.#set(key, { at: this.now(), clientId });
  }

  /** Records a use, first dropping those past their wait if there are many. */
  #set(key: string, use: { at: number; clientId?: string }): void {
    if (this.#last.size >= MAX_ENTRIES) {
      for (const [k, { at }] of this.#last) {
        if (use.at - at >= this.everyMs) this.#last.delete(k);
      }
    }
    this.#last.set(key, use);
  }

  /**
   * Gives back the `@here` that the send `clientId` of `who` used in `room`
   * (it was not stored), unless a later one took its place.
   */
  release(who: string, room: string, clientId?: string): void {
    const key = roomKey(room, who);
    if (this.#last.get(key)?.clientId === clientId) this.#last.delete(key);
  }

  /** Milliseconds until `who` may use `@here` in `room` again (0: now). */
  wait(who: string, room: string): number {
    const last = this.#last.get(roomKey(room, who));
    return last === undefined
      ? 0
      : Math.max(0, this.everyMs - (this.now() - last.at));
  }
}
