/**
 * Moderation and authorship: who may moderate a room (an admin, or the
 * account that created it), who was removed from a room lately (bans, held
 * in the store and in memory on every instance, which learns of new ones
 * from `kick` bus events), and who
 * wrote a message (an account owns its name; a guest owns what its token
 * wrote, kept in the store).
 *
 * @module
 */
import type { Bus } from "@/lib/server/bus/bus.ts";
import type { Store } from "@/lib/server/store/store.ts";
import type { Client } from "@/lib/server/realtime/hub.ts";
import type { ChatMessage, PresenceUser } from "@/lib/shared/protocol.ts";
import { fold, roomKey } from "@/lib/shared/names.ts";
import { ChatError } from "./chat_error.ts";

/** How long a user removed from a room may not rejoin it. */
export const KICK_BAN_MS = 10 * 60_000;

/** Who may moderate, who is banned, who wrote what. */
export class Moderation {
  /** `room\0folded user` → until when a removed user may not rejoin. */
  readonly #bans = new Map<string, number>();

  private constructor(
    readonly store: Store,
    readonly isAdmin: (name: string) => Promise<boolean>,
    readonly now: () => number,
  ) {}

  /**
   * Loads the bans still in force (they outlive a restart: they are in the
   * store) and listens for `kick` events on `bus` to record new ones.
   */
  static async open(
    store: Store,
    bus: Bus,
    isAdmin: (name: string) => Promise<boolean>,
    now: () => number = Date.now,
  ): Promise<Moderation> {
    const moderation = new Moderation(store, isAdmin, now);
    for (const b of await store.bans.active(now())) {
      moderation.#bans.set(banKey(b.room, b.user), b.until);
    }
    bus.subscribe((e) => {
      if (e.kind === "kick") {
        moderation.#bans.set(banKey(e.room, e.user), now() + KICK_BAN_MS);
      }
    });
    return moderation;
  }

  /**
   * Records that `user` (by name, however it is cased) may not rejoin
   * `room` for a while; every instance learns it from the `kick` event.
   */
  async ban(room: string, user: string): Promise<void> {
    await this.store.bans.put({
      room,
      user: fold(user),
      until: this.now() + KICK_BAN_MS,
    });
  }

  /**
   * May `user` moderate `room` (its creator, or an admin)? Not while a
   * removal from it lasts: a moderator removed is a member removed.
   */
  async canModerate(user: PresenceUser, room: string): Promise<boolean> {
    // Guest names are reused by other guests, so only accounts moderate.
    if (user.guest || this.isBanned(room, user.name)) return false;
    if (await this.isAdmin(user.name)) return true;
    return (await this.store.room(room))?.createdBy === user.name;
  }

  /**
   * May the moderator `by` remove `user` (a name) from `room`? An admin may
   * remove anyone; a room's owner anyone but an admin. So an owner can't
   * lock an admin out, and nobody but an admin removes an owner.
   */
  async mayRemove(
    by: PresenceUser,
    user: string,
    room: string,
  ): Promise<boolean> {
    if (await this.isAdmin(by.name)) return true;
    if (await this.isAdmin(user)) return false;
    const owner = (await this.store.room(room))?.createdBy;
    return owner === null || owner === undefined || fold(owner) !== fold(user);
  }

  /**
   * Whether `user` was removed from `room` by a moderator lately (names
   * compared folded, as names are unique: "Mina" is "mina").
   */
  isBanned(room: string, user: string): boolean {
    const key = banKey(room, user);
    const until = this.#bans.get(key);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.#bans.delete(key);
    return false;
  }

  /**
   * Whether `client` wrote `m`. An account owns its name; a guest name can
   * pass to another guest, so a guest owns what its token wrote (kept in
   * the store, so this holds across restarts).
   */
  async wrote(client: Client, m: ChatMessage): Promise<boolean> {
    // An account owns its name, but not what guests wrote under it before.
    if (!client.user.guest) return m.user === client.user.name && !m.guest;
    return client.author !== undefined &&
      (await this.store.author(m.room, m.id)) === client.author;
  }
}

/** The refusal of a removal of a moderator by a moderator who may not. */
export function moderatesToo(user: string): ChatError {
  return new ChatError(
    "forbidden",
    `${user} moderates here too: only an admin may remove them`,
  );
}

/** The key of `user`'s ban from `room`: the name folded. */
function banKey(room: string, user: string): string {
  return roomKey(room, fold(user));
}

/** The answer to someone removed from `room` lately: `forbidden`. */
export function banned(room: string): ChatError {
  return new ChatError(
    "forbidden",
    `A moderator removed you from ${room}; try again later`,
  );
}
