/**
 * The rooms of the chat: which exist (a cache of the store, kept fresh by
 * `room` bus events so connect storms don't read KV), their listing with
 * live user counts, and creation within the per-user, per-address and
 * per-server quotas.
 *
 * @module
 */
import type { Config } from "@/lib/server/config.ts";
import type { Bus } from "@/lib/server/bus/bus.ts";
import type { Metrics } from "@/lib/server/metrics.ts";
import type { Store } from "@/lib/server/store/store.ts";
import type { PresenceUser, RoomInfo } from "@/lib/shared/protocol.ts";
import { ROOM_ID } from "@/lib/shared/names.ts";
import { ChatError } from "./chat_error.ts";

/** An address may create this many times `MAX_ROOMS_PER_USER` rooms (shared NATs). */
export const ROOMS_PER_ADDRESS_FACTOR = 3;

/** Which rooms exist, and making new ones. */
export class Rooms {
  readonly #ids = new Set<string>();

  private constructor(
    readonly config: Config,
    readonly store: Store,
    readonly bus: Bus,
    readonly metrics: Metrics,
    /** How many people are online in a room (the hub's count). */
    readonly online: (room: string) => number,
  ) {}

  /** Creates the configured rooms if missing and loads every room's id. */
  static async open(
    config: Config,
    store: Store,
    bus: Bus,
    metrics: Metrics,
    online: (room: string) => number,
  ): Promise<Rooms> {
    const rooms = new Rooms(config, store, bus, metrics, online);
    for (const id of config.rooms) {
      if (!ROOM_ID.test(id)) {
        throw new Error(`CHAT_ROOMS: invalid room id ${JSON.stringify(id)}`);
      }
      await store.createRoom(id);
    }
    for (const r of await store.rooms()) rooms.#ids.add(r.id);
    metrics.rooms.set(rooms.#ids.size);
    bus.subscribe((e) => {
      if (e.kind === "room") rooms.#add(e.room);
      if (e.kind === "room_deleted") {
        rooms.#ids.delete(e.room);
        metrics.rooms.set(rooms.#ids.size);
      }
    });
    return rooms;
  }

  /** Whether a room exists (a cached answer, kept fresh by the bus). */
  async has(id: string): Promise<boolean> {
    if (this.#ids.has(id)) return true;
    if (!ROOM_ID.test(id)) return false;
    const found = (await this.store.room(id)) !== null;
    if (found) this.#ids.add(id);
    return found;
  }

  /** Every room with its live user count. */
  list(): Promise<RoomInfo[]> {
    return Promise.resolve([...this.#ids].map((id) => ({
      id,
      name: id,
      users_count: this.online(id),
    })));
  }

  /** Creates a room; refuses duplicates and users over their room quota. */
  async create(
    user: PresenceUser,
    room: string,
    address?: string,
  ): Promise<RoomInfo> {
    if (!ROOM_ID.test(room)) {
      throw new ChatError("invalid_frame", "Invalid room id");
    }
    const { maxRoomsPerUser, maxRooms } = this.config;
    if (this.#ids.size >= maxRooms) {
      throw new ChatError(
        "room_limit",
        `The server holds ${maxRooms} rooms, its most`,
      );
    }
    // Guests pick their names, so the quota also holds per client address.
    const [byUser, byAddress] = await Promise.all([
      this.store.roomsCreatedBy(user.name),
      address ? this.store.roomsCreatedFrom(address) : 0,
    ]);
    if (
      byUser >= maxRoomsPerUser ||
      byAddress >= maxRoomsPerUser * ROOMS_PER_ADDRESS_FACTOR
    ) {
      throw new ChatError(
        "room_limit",
        `Room limit reached: ${maxRoomsPerUser}`,
      );
    }
    // Only an account owns (and so moderates) what it creates.
    const owner = user.guest ? null : user.name;
    if (
      !(await this.store.createRoom(room, {
        owner,
        name: user.name,
        from: address,
      }))
    ) {
      throw new ChatError("room_exists", `Room exists already: ${room}`);
    }
    this.#add(room);
    await this.bus.publish({ kind: "room", room });
    return { id: room, name: room, users_count: 0 };
  }

  /**
   * Deletes a room with its history, if `mayModerate` says so; rooms from
   * `CHAT_ROOMS` stay. Everyone in it is told (`left`, reason `deleted`).
   */
  async delete(
    room: string,
    mayModerate: () => Promise<boolean>,
  ): Promise<void> {
    if (this.config.rooms.includes(room)) {
      throw new ChatError("forbidden", `${room} is a configured room`);
    }
    if (!(await this.has(room))) {
      throw new ChatError("no_such_room", `No such room: ${room}`);
    }
    if (!(await mayModerate())) {
      throw new ChatError(
        "forbidden",
        "Only the room's owner or an admin may delete it",
      );
    }
    if (!(await this.store.deleteRoom(room))) {
      throw new ChatError("no_such_room", `No such room: ${room}`);
    }
    await this.bus.publish({ kind: "room_deleted", room });
  }

  /**
   * Deletes guests' rooms (no owner, not configured) in which nothing was
   * ever written, once older than `EMPTY_ROOM_TTL_MS` and with nobody in
   * them; returns how many went.
   */
  async expireEmpty(now = Date.now()): Promise<number> {
    let n = 0;
    for (const id of [...this.#ids]) {
      if (this.config.rooms.includes(id)) continue;
      const room = await this.store.room(id);
      if (!room || room.createdBy !== null) continue;
      if (now - room.createdAt < this.config.emptyRoomTtlMs) continue;
      if (this.online(id) > 0) continue;
      if (!(await this.store.deleteRoom(id, { onlyIfEmpty: true }))) continue;
      await this.bus.publish({ kind: "room_deleted", room: id });
      n++;
    }
    return n;
  }

  #add(id: string): void {
    this.#ids.add(id);
    this.metrics.rooms.set(this.#ids.size);
  }
}
