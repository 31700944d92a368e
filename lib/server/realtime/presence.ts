/**
 * Presence in one room on one instance: how many connections each user has
 * here (two tabs are one entry), and which member list the room's clients
 * were last told, so a full list goes out only when it would change
 * something.
 *
 * @module
 */
import type { PresenceUser } from "@/lib/shared/protocol.ts";

/** Who is in a room here, and what its clients believe. */
export class RoomPresence {
  readonly #users = new Map<string, { user: PresenceUser; count: number }>();
  #shown = new Map<string, PresenceUser>();

  /** Counts a connection of `user`; true for the user's first one here. */
  add(user: PresenceUser): boolean {
    const entry = this.#users.get(user.name);
    if (entry) {
      entry.count++;
      return false;
    }
    this.#users.set(user.name, { user, count: 1 });
    return true;
  }

  /** Counts a connection gone; true when it was the user's last one here. */
  remove(name: string): boolean {
    const entry = this.#users.get(name);
    if (!entry || --entry.count > 0) return false;
    this.#users.delete(name);
    return true;
  }

  /** The users connected here. */
  local(): PresenceUser[] {
    return [...this.#users.values()].map((u) => u.user);
  }

  /** Records a join or leave delta the room's clients were sent. */
  told(user: PresenceUser, kind: "joined" | "left"): void {
    if (kind === "joined") this.#shown.set(user.name, user);
    else this.#shown.delete(user.name);
  }

  /** Takes `users` as what clients know, if nothing is known yet. */
  assume(users: PresenceUser[]): void {
    if (this.#shown.size === 0) this.#shown = byName(users);
  }

  /**
   * Whether `users` differs from what the clients were told; if so, it is
   * recorded as told, since the caller sends it.
   */
  update(users: PresenceUser[]): boolean {
    const same = users.length === this.#shown.size &&
      users.every((u) => this.#shown.get(u.name)?.guest === u.guest);
    if (!same) this.#shown = byName(users);
    return !same;
  }
}

function byName(users: PresenceUser[]): Map<string, PresenceUser> {
  return new Map(users.map((u) => [u.name, u]));
}
