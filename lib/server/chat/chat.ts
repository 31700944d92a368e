/**
 * The chat service: one per instance, tying the store, the bus and the hub
 * together. Entry points (the WebSocket routes, the HTTP API) call it; it
 * enforces the rules every endpoint shares.
 *
 * @module
 */
import type { Config } from "@/lib/server/config.ts";
import { type Bus, LocalBus } from "@/lib/server/bus/bus.ts";
import { type Client, Hub } from "@/lib/server/realtime/hub.ts";
import { Identities } from "./identity.ts";
import { logger } from "@/lib/server/log.ts";
import { Metrics } from "@/lib/server/metrics.ts";
import {
  type ChatMessage,
  ERROR_CODES,
  type ErrorCode,
  type PresenceUser,
  type RoomInfo,
  utf8Length,
} from "@/lib/shared/protocol.ts";
import { ROOM_ID } from "@/lib/shared/names.ts";
import { cleanText } from "@/lib/shared/text.ts";
import { type Store, StoreUnavailableError } from "@/lib/server/store/store.ts";
import { openStore } from "@/lib/server/store/open.ts";

/** An error a client should see, with its protocol code. */
export class ChatError extends Error {
  /** Always `"ChatError"`. */
  override name = "ChatError";
  /** Creates the error; the message defaults to the code's description. */
  constructor(readonly code: ErrorCode, message: string = ERROR_CODES[code]) {
    super(message);
  }
}

/** Options of {@link Chat.open}. */
export interface ChatOptions {
  /** The server's configuration. */
  config: Config;
  /** A bus other than the in-process one (Redis). */
  bus?: Bus;
  /** An open store; by default the one `config` names is opened. */
  store?: Store;
  /** Tells whether a name belongs to an account. */
  isReserved?: (name: string) => Promise<boolean>;
  /** Tells whether an account is an admin (see `lib/server/auth/roles.ts`). */
  isAdmin?: (name: string) => Promise<boolean>;
}

/** An address may create this many times `MAX_ROOMS_PER_USER` rooms (shared NATs). */
export const ROOMS_PER_ADDRESS_FACTOR = 3;

/** How long a user removed from a room may not rejoin it. */
export const KICK_BAN_MS = 10 * 60_000;

/** The chat service of one instance. */
export class Chat {
  readonly #roomIds = new Set<string>();
  /** `room\0user` → until when a removed user may not rejoin. */
  readonly #bans = new Map<string, number>();
  readonly #log = logger("chat");
  #expiry: ReturnType<typeof setInterval> | undefined;

  private constructor(
    readonly config: Config,
    readonly store: Store,
    readonly bus: Bus,
    readonly hub: Hub,
    readonly identities: Identities,
    readonly metrics: Metrics,
    readonly isAdmin: (name: string) => Promise<boolean>,
  ) {}

  /** Opens the store, creates the default rooms and starts the hub. */
  static async open(options: ChatOptions): Promise<Chat> {
    const { config } = options;
    const store = options.store ?? await openStore(config);
    const bus = options.bus ?? new LocalBus();
    const metrics = new Metrics();
    const hub = new Hub({
      store,
      bus,
      metrics,
      slowClientBytes: config.slowClientBytes,
      slowClientGraceMs: config.slowClientGraceMs,
      typingTtlMs: config.typingTtlMs,
    });
    const identities = new Identities({
      isReserved: options.isReserved ?? (() => Promise.resolve(false)),
      // Names are held in the store, shared with other instances and kept
      // across restarts, so a guest's token gets its name back first.
      claims: store.names,
    });
    const chat = new Chat(
      config,
      store,
      bus,
      hub,
      identities,
      metrics,
      options.isAdmin ?? (() => Promise.resolve(false)),
    );
    for (const id of config.rooms) {
      if (!ROOM_ID.test(id)) {
        throw new Error(`CHAT_ROOMS: invalid room id ${JSON.stringify(id)}`);
      }
      await store.createRoom(id);
    }
    for (const r of await store.rooms()) chat.#roomIds.add(r.id);
    // Bans outlive a restart: they are in the store.
    for (const b of await store.bans.active(Date.now())) {
      chat.#bans.set(`${b.room}\u0000${b.user}`, b.until);
    }
    metrics.rooms.set(chat.#roomIds.size);
    bus.subscribe((e) => {
      if (e.kind === "kick") {
        chat.#bans.set(`${e.room}\u0000${e.user}`, Date.now() + KICK_BAN_MS);
      }
      if (e.kind === "room_deleted") {
        chat.#roomIds.delete(e.room);
        metrics.rooms.set(chat.#roomIds.size);
      }
      if (e.kind === "room") {
        chat.#roomIds.add(e.room);
        metrics.rooms.set(chat.#roomIds.size);
      }
    });
    // Rooms guests made and never used go, so spam can't fill MAX_ROOMS.
    chat.#expiry = setInterval(() => {
      chat.expireEmptyRooms().catch((error) =>
        chat.#log.warn("expiring empty rooms failed: {error}", {
          error: String(error),
        })
      );
    }, Math.min(60_000, Math.max(250, config.emptyRoomTtlMs / 4)));
    return chat;
  }

  /** Whether the store and the bus answer within two seconds. */
  async health(): Promise<{ store: boolean; bus: boolean }> {
    const within = async (check: () => Promise<unknown>) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<false>((r) =>
        timer = setTimeout(r, 2000, false)
      );
      try {
        return await Promise.race([
          check().then((ok) => ok !== false),
          timeout,
        ]);
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    };
    const [store, bus] = await Promise.all([
      within(() => this.store.healthy()),
      within(() => this.bus.healthy()),
    ]);
    return { store, bus };
  }

  /** Whether a room exists (a cached answer, kept fresh by the bus). */
  async hasRoom(id: string): Promise<boolean> {
    if (this.#roomIds.has(id)) return true;
    if (!ROOM_ID.test(id)) return false;
    const found = (await this.store.room(id)) !== null;
    if (found) this.#roomIds.add(id);
    return found;
  }

  /** Every room with its live user count. */
  async rooms(): Promise<RoomInfo[]> {
    // The id cache is kept fresh by `room` bus events, so connect storms don't read KV.
    return await Promise.all([...this.#roomIds].map(async (id) => ({
      id,
      name: id,
      users_count: (await this.bus.presence(id)).length,
    })));
  }

  /** Joins a room after checking it exists. */
  async join(client: Client, room: string, since?: number): Promise<void> {
    if (!(await this.hasRoom(room))) {
      throw new ChatError("no_such_room", `No such room: ${room}`);
    }
    if (this.isBanned(room, client.user.name)) {
      throw new ChatError(
        "forbidden",
        `A moderator removed you from ${room}; try again later`,
      );
    }
    await this.hub.join(client, room, since);
  }

  /**
   * Stores a message and publishes it. Resolves once it is durable, with
   * the stored message (the original one when `clientId` was seen before).
   */
  async send(
    client: Client,
    room: string,
    text: string,
    clientId?: string,
  ): Promise<{ message: ChatMessage; duplicate: boolean }> {
    if (!client.rooms.has(room)) {
      throw new ChatError("not_joined", `Join ${room} first`);
    }
    text = this.cleanText(text);
    const started = performance.now();
    const result = await this.store.append({
      room,
      user: client.user.name,
      text,
      clientId,
      guest: client.user.guest,
      // Account names are unique, so accounts are known by name.
      author: client.user.guest ? client.author : undefined,
    })
      .catch((error) => {
        // An outage is logged once, by the store; anything else here.
        if (!(error instanceof StoreUnavailableError)) {
          this.#log.error("storing a message in {room} failed: {error}", {
            room,
            error: String(error),
          });
        }
        throw new ChatError("unavailable");
      });
    this.metrics.ackLatency.observe((performance.now() - started) / 1000);
    this.metrics.messagesIn.inc();
    if (!result.duplicate) {
      this.metrics.messagesOut.inc();
      this.hub.flow.message(client, room, result.message.id, text);
      this.bus.publish({ kind: "message", message: result.message }).catch((
        error,
      ) =>
        // Stored already: the other instances find it when they next fill a gap.
        this.#log.warn("publishing {room}#{id} failed: {error}", {
          room,
          id: result.message.id,
          error: String(error),
        })
      );
    }
    return result;
  }

  /**
   * The text as stored (see `lib/shared/text.ts`: NFC, no controls but
   * newline and tab, no lone surrogates, not invisible-only), or throws.
   */
  cleanText(raw: string): string {
    const clean = cleanText(raw);
    if (!clean.ok) {
      throw new ChatError(
        clean.problem === "empty" ? "empty_text" : "invalid_text",
        clean.message,
      );
    }
    const text = clean.text;
    const bytes = utf8Length(text);
    if (bytes > this.config.maxTextBytes) {
      throw new ChatError(
        "text_too_long",
        `Text too long: ${bytes} bytes, the limit is ${this.config.maxTextBytes}`,
      );
    }
    return text;
  }

  /** Announces typing in a room the client has joined. */
  async typing(client: Client, room: string, typing: boolean): Promise<void> {
    if (!client.rooms.has(room)) {
      throw new ChatError("not_joined", `Join ${room} first`);
    }
    await this.bus.publish({
      kind: "typing",
      room,
      user: client.user.name,
      typing,
    });
  }

  /** Creates a room; refuses duplicates and users over their room quota. */
  async createRoom(
    user: PresenceUser,
    room: string,
    address?: string,
  ): Promise<RoomInfo> {
    if (!ROOM_ID.test(room)) {
      throw new ChatError("invalid_frame", "Invalid room id");
    }
    const { maxRoomsPerUser, maxRooms } = this.config;
    if (this.#roomIds.size >= maxRooms) {
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
    this.#roomIds.add(room);
    await this.bus.publish({ kind: "room", room });
    return { id: room, name: room, users_count: 0 };
  }

  /**
   * Deletes a room with its history, as its owner or an admin; rooms from
   * `CHAT_ROOMS` stay. Everyone in it is told (`left`, reason `deleted`).
   */
  async deleteRoom(user: PresenceUser, room: string): Promise<void> {
    if (this.config.rooms.includes(room)) {
      throw new ChatError("forbidden", `${room} is a configured room`);
    }
    if (!(await this.hasRoom(room))) {
      throw new ChatError("no_such_room", `No such room: ${room}`);
    }
    if (!(await this.canModerate(user, room))) {
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
  async expireEmptyRooms(now = Date.now()): Promise<number> {
    let n = 0;
    for (const id of [...this.#roomIds]) {
      if (this.config.rooms.includes(id)) continue;
      const room = await this.store.room(id);
      if (!room || room.createdBy !== null) continue;
      if (now - room.createdAt < this.config.emptyRoomTtlMs) continue;
      if ((await this.bus.presence(id)).length > 0) continue;
      if (!(await this.store.deleteRoom(id, { onlyIfEmpty: true }))) continue;
      await this.bus.publish({ kind: "room_deleted", room: id });
      n++;
    }
    return n;
  }

  /** May `user` moderate `room` (its creator, or an admin)? */
  async canModerate(user: PresenceUser, room: string): Promise<boolean> {
    // Guest names are reused by other guests, so only accounts moderate.
    if (user.guest) return false;
    if (await this.isAdmin(user.name)) return true;
    return (await this.store.room(room))?.createdBy === user.name;
  }

  /** Whether `user` was removed from `room` by a moderator lately. */
  isBanned(room: string, user: string): boolean {
    const key = `${room}\u0000${user}`;
    const until = this.#bans.get(key);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.#bans.delete(key);
    return false;
  }

  /** Edits one's own message. */
  async edit(
    client: Client,
    room: string,
    id: number,
    text: string,
  ): Promise<void> {
    text = this.cleanText(text);
    const m = await this.store.get(room, id);
    if (!m || m.deleted) {
      throw new ChatError("not_found", `No message ${id} in ${room}`);
    }
    if (!(await this.#wrote(client, m))) {
      throw new ChatError("forbidden", "Only the author may edit a message");
    }
    if (!(await this.store.update(room, id, { text, edited: true }))) {
      throw new ChatError("not_found", `No message ${id} in ${room}`);
    }
    await this.bus.publish({ kind: "edited", room, id, text });
  }

  /** Deletes a message: one's own, or any as the room's moderator. */
  async delete(client: Client, room: string, id: number): Promise<void> {
    const m = await this.store.get(room, id);
    if (!m || m.deleted) {
      throw new ChatError("not_found", `No message ${id} in ${room}`);
    }
    if (
      !(await this.#wrote(client, m)) &&
      !(await this.canModerate(client.user, room))
    ) {
      throw new ChatError(
        "forbidden",
        "Only the author or a moderator may delete a message",
      );
    }
    if (!(await this.store.update(room, id, { text: "", deleted: true }))) {
      throw new ChatError("not_found", `No message ${id} in ${room}`);
    }
    await this.bus.publish({ kind: "deleted", room, id });
  }

  /**
   * Whether `client` wrote `m`. An account owns its name; a guest name can
   * pass to another guest, so a guest owns what its token wrote (kept in
   * the store, so this holds across restarts).
   */
  async #wrote(client: Client, m: ChatMessage): Promise<boolean> {
    // An account owns its name, but not what guests wrote under it before.
    if (!client.user.guest) return m.user === client.user.name && !m.guest;
    return client.author !== undefined &&
      (await this.store.author(m.room, m.id)) === client.author;
  }

  /** Removes a user from a room, as its moderator. */
  async kick(by: PresenceUser, room: string, user: string): Promise<void> {
    if (!(await this.canModerate(by, room))) {
      throw new ChatError("forbidden", "Only a moderator may remove users");
    }
    await this.store.bans.put({ room, user, until: Date.now() + KICK_BAN_MS });
    await this.bus.publish({ kind: "kick", room, user });
  }

  /** Stops the hub and bus and closes the store after pending writes. */
  async close(): Promise<void> {
    clearInterval(this.#expiry);
    this.hub.close();
    this.identities.close();
    await this.bus.close();
    await this.store.close();
  }
}
