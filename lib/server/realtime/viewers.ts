/**
 * Who is looking at which room: presence and typing frames go only to the
 * sockets showing the room. A socket names the one room it shows with
 * `view`; one that never did (a v1 client) shows every room it subscribed.
 * Only native-protocol sockets view anything.
 *
 * @module
 */
import type { Client } from "./hub.ts";

/** Room → the local sockets showing it. */
export class Viewers {
  readonly #byRoom = new Map<string, Set<Client>>();

  /**
   * `client` subscribed `room`: it shows it unless it chose another room
   * (the room it chose shows again once it is subscribed again).
   */
  subscribed(client: Client, room: string): void {
    if (
      client.format === "v1" &&
      (client.view === undefined || client.view === room)
    ) this.#add(room, client);
  }

  /**
   * `client` unsubscribed `room` (left, kicked, removed, the room deleted):
   * nothing of it reaches the socket any more, even if it was the one shown.
   */
  unsubscribed(client: Client, room: string): void {
    if (client.view === undefined || client.view === room) {
      this.#remove(room, client);
    }
  }

  /** `client` shows `room` only (null: none) from now on. */
  view(client: Client, room: string | null): void {
    if (client.view === undefined) {
      for (const r of client.rooms.keys()) this.#remove(r, client);
    } else if (client.view !== null) this.#remove(client.view, client);
    client.view = room;
    // Only a room it is in: one it was taken out of meanwhile shows again
    // when it is subscribed again (see `subscribed`).
    if (room !== null && client.format === "v1" && client.rooms.has(room)) {
      this.#add(room, client);
    }
  }

  /** `client` disconnected. */
  gone(client: Client): void {
    if (client.view === undefined) {
      for (const r of client.rooms.keys()) this.#remove(r, client);
    } else if (client.view !== null) this.#remove(client.view, client);
  }

  /** The sockets showing `room`. */
  of(room: string): ReadonlySet<Client> {
    return this.#byRoom.get(room) ?? EMPTY;
  }

  /** Whether any socket here shows `room`. */
  has(room: string): boolean {
    return this.#byRoom.has(room);
  }

  #add(room: string, client: Client): void {
    let set = this.#byRoom.get(room);
    if (!set) this.#byRoom.set(room, set = new Set());
    set.add(client);
  }

  #remove(room: string, client: Client): void {
    const set = this.#byRoom.get(room);
    if (!set?.delete(client)) return;
    if (set.size === 0) this.#byRoom.delete(room);
  }
}

const EMPTY: ReadonlySet<Client> = new Set();
