/**
 * The rooms of the chat: which exist and who may see them (a cache of the
 * store, kept fresh by `room` bus events so connect storms don't read KV),
 * the original listing of public rooms with live counts, and creation within
 * the per-user, per-address and per-server quotas.
 *
 * @module
 */
import type { Config } from "@/lib/server/config.ts";
import type { Bus } from "@/lib/server/bus/bus.ts";
import type { Metrics } from "@/lib/server/metrics.ts";
import type { RoomKind, Store, StoredRoom } from "@/lib/server/store/store.ts";
import type { PresenceUser, RoomInfo } from "@/lib/shared/protocol.ts";
import { ROOM_ID } from "@/lib/shared/names.ts";
import { TokenBucket } from "@/lib/server/http/token_bucket.ts";
import { ChatError } from "./chat_error.ts";
import { DM_PREFIX } from "./dm.ts";

/** An address may create this many times `MAX_ROOMS_PER_USER` rooms (shared NATs). */
export const ROOMS_PER_ADDRESS_FACTOR = 3;

/** What is cached of a room: who may see it, and its topic. */
export interface RoomFacts {
  /** Who may see it. */
  kind: RoomKind;
  /** Its topic, when it has one. */
  topic?: string;
  /**
   * When it was made, when read from the store: a room made again under
   * its id is another room.
   */
  createdAt?: number;
}

/** The facts of a stored room. */
function factsOf(room: StoredRoom): RoomFacts {
  return {
    kind: room.kind,
    createdAt: room.createdAt,
    ...(room.topic ? { topic: room.topic } : {}),
  };
}

/** `facts` with `topic` ("" or undefined: none). */
function withTopic(facts: RoomFacts, topic: string | undefined): RoomFacts {
  const { topic: _old, ...rest } = facts;
  return topic ? { ...rest, topic } : rest;
}

/** What {@link Rooms.reconcile} found the bus had not told. */
export interface Reconciled {
  /** Cached rooms no longer stored: deleted. */
  gone: string[];
  /** Changed topics by room, "" for none. */
  topics: Map<string, string>;
}

/** Which rooms exist, and making new ones. */
export class Rooms {
  /** Every room's id, with its facts once known (a new room's are read lazily). */
  readonly #ids = new Map<string, RoomFacts | undefined>();
  /** How many of {@link #ids} are DMs: `MAX_ROOMS` counts the others. */
  #dms = 0;
  /** Each account's budget of new DMs (`MAX_NEW_DMS_PER_HOUR`), by folded name. */
  readonly #newDms = new Map<string, { bucket: TokenBucket; at: number }>();
  /** Rooms removed while a {@link reconcile} reads, one set per read. */
  readonly #removals = new Set<Set<string>>();
  /** The last creation in line (see `create`). */
  #creating: Promise<void> = Promise.resolve();

  private constructor(
    readonly config: Config,
    readonly store: Store,
    readonly bus: Bus,
    readonly metrics: Metrics,
    readonly online: (room: string) => number,
  ) {}

  /**
   * Creates the configured rooms if missing and loads every room's id;
   * `online` counts the people online in a room (the hub's presence).
   */
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
    for (const r of await store.rooms()) {
      rooms.#add(r.id, factsOf(r));
    }
    bus.subscribe((e) => {
      if (e.kind === "room" && !rooms.#ids.get(e.room)) rooms.#add(e.room);
      if (e.kind === "room_frame" && e.frame.type === "topic") {
        const facts = rooms.#ids.get(e.room);
        if (facts) rooms.#ids.set(e.room, withTopic(facts, e.frame.topic));
      }
      if (e.kind === "room_deleted") rooms.#remove(e.room);
    });
    return rooms;
  }

  /** Whether a room exists (a cached answer, kept fresh by the bus). */
  async has(id: string): Promise<boolean> {
    return (await this.facts(id)) !== null;
  }

  /** A room's kind and topic, or null when there is no such room. */
  async facts(id: string): Promise<RoomFacts | null> {
    const known = this.#ids.get(id);
    if (known) return known;
    if (!ROOM_ID.test(id)) return null;
    const room = await this.store.room(id);
    if (!room) return null;
    const facts = factsOf(room);
    this.#add(id, facts);
    return facts;
  }

  /**
   * Reads every room from the store again, as the bus may have lost rooms'
   * creations, deletions and topic changes: the cache takes what it missed.
   * Resolves to the cached rooms found gone (dropped from the cache) and
   * the topics found changed ("" for none). A room an event changed during
   * the read is left as that event made it, the event being newer.
   */
  async reconcile(): Promise<Reconciled> {
    const before = new Map(this.#ids);
    const removed = new Set<string>();
    this.#removals.add(removed);
    let stored;
    try {
      stored = await this.store.rooms();
    } finally {
      this.#removals.delete(removed);
    }
    const byId = new Map(stored.map((r) => [r.id, r]));
    const found: Reconciled = { gone: [], topics: new Map() };
    for (const [id, known] of before) {
      if (removed.has(id) || this.#ids.get(id) !== known) continue;
      const room = byId.get(id);
      // Deleted and made again under its id (of another kind, say): for
      // those who had it, it is gone; the cache takes the new one.
      const remade = room && known &&
        (room.kind !== known.kind ||
          (known.createdAt !== undefined &&
            room.createdAt !== known.createdAt));
      if (!room || remade) {
        this.#remove(id);
        found.gone.push(id);
      } else if (known && (room.topic ?? "") !== (known.topic ?? "")) {
        this.#ids.set(id, withTopic(known, room.topic));
        found.topics.set(id, room.topic ?? "");
      }
    }
    for (const r of stored) {
      if (!this.#ids.has(r.id) && !removed.has(r.id)) {
        this.#add(r.id, factsOf(r));
      }
    }
    return found;
  }

  /**
   * The public rooms with the people online in each, in the original
   * project's format (private rooms and DMs are never listed).
   */
  async list(): Promise<RoomInfo[]> {
    const ids = [...this.#ids.keys()].filter((id) => !isDm(id));
    const facts = await Promise.all(ids.map((id) => this.facts(id)));
    return ids.filter((_, i) => facts[i]?.kind === "public").map((id) => ({
      id,
      name: id,
      users_count: this.online(id),
    }));
  }

  /**
   * Creates a room; refuses duplicates and users over their room quota.
   * Private rooms are made by accounts only: an owner must be able to
   * invite, and guests never moderate. Creations on this instance take
   * turns: otherwise a burst of them (one account's tabs, many guests of
   * one address) would all pass the quota checks before any was stored.
   */
  create(
    user: PresenceUser,
    room: string,
    address?: string,
    kind: "public" | "private" = "public",
  ): Promise<void> {
    const made = this.#creating.then(() =>
      this.#create(user, room, address, kind)
    );
    this.#creating = made.catch(() => {});
    return made;
  }

  async #create(
    user: PresenceUser,
    room: string,
    address: string | undefined,
    kind: "public" | "private",
  ): Promise<void> {
    if (!ROOM_ID.test(room)) {
      throw new ChatError("invalid_frame", "Invalid room id");
    }
    // Those ids are DMs' (see `dm.ts`): a room made under one would be
    // taken for the DM of the two people its id is derived from.
    if (room.startsWith(DM_PREFIX)) {
      throw new ChatError(
        "invalid_frame",
        `Invalid room id: "${DM_PREFIX}" starts direct messages only`,
      );
    }
    if (kind === "private" && user.guest) {
      throw new ChatError(
        "forbidden",
        "Only accounts may create private rooms: log in first",
      );
    }
    const { maxRoomsPerUser, maxRooms } = this.config;
    if (this.#ids.size - this.#dms >= maxRooms) {
      throw new ChatError(
        "room_limit",
        `The server holds ${maxRooms} rooms, its most`,
      );
    }
    // Guests pick their names, so their quota also holds per client address
    // (an account's is its own: people behind one office address register).
    const perAddress = maxRoomsPerUser * ROOMS_PER_ADDRESS_FACTOR;
    const [byUser, byAddress] = await Promise.all([
      this.store.roomsCreatedBy(user.name),
      address && user.guest ? this.store.roomsCreatedFrom(address) : 0,
    ]);
    if (byUser >= maxRoomsPerUser) {
      throw new ChatError(
        "room_limit",
        `Room limit reached: you have created ${maxRoomsPerUser} room${
          maxRoomsPerUser === 1 ? "" : "s"
        }, the most allowed`,
      );
    }
    if (byAddress >= perAddress) {
      throw new ChatError(
        "room_limit",
        `Room limit reached: ${perAddress} rooms were created from your network address, the most for guests; log in to create more`,
      );
    }
    // Only an account owns (and so moderates) what it creates.
    const owner = user.guest ? null : user.name;
    if (
      !(await this.store.createRoom(room, {
        owner,
        name: user.name,
        // Only guests' rooms count against their address.
        from: user.guest ? address : undefined,
      }, { kind }))
    ) {
      throw new ChatError("room_exists", `Room exists already: ${room}`);
    }
    this.#add(room, { kind });
    await this.bus.publish({ kind: "room", room });
  }

  /**
   * Makes sure the DM room `id` exists; true when it was made now. DMs are
   * outside `MAX_ROOMS` (a community's DMs outnumber its rooms many times),
   * but `opener` (an account's folded name) may open at most
   * `MAX_NEW_DMS_PER_HOUR` new ones an hour on this instance, so one account
   * can't fill the store with DMs to everyone: `rate_limited`. Reopening a
   * DM costs nothing. A room of another kind under that id (made before DM
   * ids were reserved) is never used as the DM: `forbidden`.
   */
  async ensureDm(id: string, opener: string): Promise<boolean> {
    const known = await this.facts(id);
    if (known) {
      if (known.kind !== "dm") throw dmTaken(id);
      return false;
    }
    if (!this.#takeNewDm(opener)) {
      const n = this.config.maxNewDmsPerHour;
      throw new ChatError(
        "rate_limited",
        `You can open ${n} new direct ${
          n === 1 ? "message" : "messages"
        } an hour; wait a while, or write in one you have`,
      );
    }
    const made = await this.store.createRoom(id, { owner: null }, {
      kind: "dm",
    });
    if (!made) {
      // Made meanwhile, elsewhere: a DM of the same pair, or not.
      const facts = await this.facts(id);
      if (facts?.kind !== "dm") throw dmTaken(id);
      return false;
    }
    this.#add(id, { kind: "dm" });
    await this.bus.publish({ kind: "room", room: id });
    return true;
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
   * ever written (no message, no membership event), once older than
   * `EMPTY_ROOM_TTL_MS` and with no member but their creator; returns how
   * many went.
   */
  async expireEmpty(now = Date.now()): Promise<number> {
    let n = 0;
    for (const [id, facts] of [...this.#ids]) {
      // Only guests' public rooms go: DMs and private rooms (accounts')
      // are skipped without reading the store.
      if (isDm(id) || (facts && facts.kind !== "public")) continue;
      if (this.config.rooms.includes(id)) continue;
      const room = await this.store.room(id);
      // Only public rooms: a DM has no owner but belongs to two people.
      if (!room || room.createdBy !== null || room.kind !== "public") continue;
      if (now - room.createdAt < this.config.emptyRoomTtlMs) continue;
      // Someone besides its creator is a member: it is in use.
      if ((await this.store.members.count(id)) > 1) continue;
      if (!(await this.store.deleteRoom(id, { onlyIfEmpty: true }))) continue;
      await this.bus.publish({ kind: "room_deleted", room: id });
      n++;
    }
    return n;
  }

  /** Spends one of `opener`'s new DMs; false when none is left this hour. */
  #takeNewDm(opener: string): boolean {
    const now = Date.now();
    if (this.#newDms.size > MAX_DM_BUDGETS) {
      // Budgets untouched for an hour are full again: forget them.
      for (const [name, { at }] of this.#newDms) {
        if (now - at >= HOUR_MS) this.#newDms.delete(name);
      }
    }
    const perHour = this.config.maxNewDmsPerHour;
    let budget = this.#newDms.get(opener);
    if (!budget) {
      budget = { bucket: new TokenBucket(perHour / 3600, perHour), at: now };
      this.#newDms.set(opener, budget);
    }
    budget.at = now;
    return budget.bucket.take();
  }

  #add(id: string, facts?: RoomFacts): void {
    if (!this.#ids.has(id) && isDm(id)) this.#dms++;
    this.#ids.set(id, facts);
    this.metrics.rooms.set(this.#ids.size);
  }

  #remove(id: string): void {
    for (const removed of this.#removals) removed.add(id);
    if (this.#ids.delete(id) && isDm(id)) this.#dms--;
    this.metrics.rooms.set(this.#ids.size);
  }
}

const HOUR_MS = 3_600_000;
/** Budgets of new DMs kept before those untouched for an hour are dropped. */
const MAX_DM_BUDGETS = 10_000;

/** Whether `id` is a DM's (see `dm.ts`: no other room may take such an id). */
export function isDm(id: string): boolean {
  return id.startsWith(DM_PREFIX);
}

function dmTaken(id: string): ChatError {
  return new ChatError(
    "forbidden",
    `This direct message can't be opened: ${id} is another kind of room`,
  );
}
