/**
 * The chat service: one per instance, and the only way the endpoints reach
 * the hub, the store and the bus. Entry points (the WebSocket endpoints, the
 * HTTP API) call it; it enforces the rules every endpoint shares. Rooms and
 * their quotas live in `rooms.ts`, moderation and authorship in
 * `moderation.ts`, name holds in `identity.ts`.
 *
 * @module
 */
import type { Config } from "@/lib/server/config.ts";
import { type Bus, LocalBus } from "@/lib/server/bus/bus.ts";
import { type Client, Hub } from "@/lib/server/realtime/hub.ts";
import { Identities } from "./identity.ts";
import { Metrics } from "@/lib/server/metrics.ts";
import type {
  ChatMessage,
  PresenceUser,
  RoomInfo,
  ServerFrame,
} from "@/lib/shared/protocol.ts";
import type { Store } from "@/lib/server/store/store.ts";
import { openStore } from "@/lib/server/store/open.ts";
import { ChatError } from "./chat_error.ts";
import { Rooms } from "./rooms.ts";
import { Moderation } from "./moderation.ts";
import { Messages } from "./messages.ts";
import type { FlowLog } from "@/lib/server/flow_log.ts";
import { logger } from "@/lib/server/log.ts";

export { ChatError };
export { ROOMS_PER_ADDRESS_FACTOR } from "./rooms.ts";
export { KICK_BAN_MS } from "./moderation.ts";

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

/** How long {@link Chat.health} waits for each answer. */
const HEALTH_TIMEOUT_MS = 2000;

/** The chat service of one instance. */
export class Chat {
  readonly #hub: Hub;
  readonly #rooms: Rooms;
  readonly #moderation: Moderation;
  readonly #messages: Messages;
  readonly #log = logger("chat");
  #expiry: ReturnType<typeof setInterval> | undefined;
  /** Logs connections, joins, leaves and messages (see `flow_log.ts`). */
  readonly flow: FlowLog;

  private constructor(
    readonly config: Config,
    readonly store: Store,
    readonly bus: Bus,
    hub: Hub,
    rooms: Rooms,
    moderation: Moderation,
    readonly identities: Identities,
    readonly metrics: Metrics,
  ) {
    this.#hub = hub;
    this.#rooms = rooms;
    this.#moderation = moderation;
    this.flow = hub.flow;
    this.#messages = new Messages(
      config,
      store,
      bus,
      moderation,
      metrics,
      hub.flow,
    );
  }

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
    const rooms = await Rooms.open(
      config,
      store,
      bus,
      metrics,
      (room) => hub.onlineCount(room),
    );
    const moderation = await Moderation.open(
      store,
      bus,
      options.isAdmin ?? (() => Promise.resolve(false)),
    );
    const chat = new Chat(
      config,
      store,
      bus,
      hub,
      rooms,
      moderation,
      identities,
      metrics,
    );
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
    const [store, bus] = await Promise.all([
      answers(() => this.store.healthy()),
      answers(() => this.bus.healthy()),
    ]);
    return { store, bus };
  }

  /** Registers a connected socket: its user, wire format and author key. */
  connect(...args: Parameters<Hub["connect"]>): Client {
    return this.#hub.connect(...args);
  }

  /** Forgets a client whose socket closed, leaving its rooms. */
  disconnect(client: Client): void {
    this.#hub.disconnect(client);
  }

  /** Closes a client's socket with `code` and forgets it. */
  drop(client: Client, code: number, reason: string): void {
    this.#hub.drop(client, code, reason);
  }

  /** Closes every connection with `code`, for shutdown. */
  disconnectAll(code: number, reason: string): void {
    this.#hub.closeAll(code, reason);
  }

  /** Sends one native-protocol frame to a client. */
  sendFrame(client: Client, frame: ServerFrame): void {
    this.#hub.sendFrame(client, frame);
  }

  /** Whether a room exists (a cached answer, kept fresh by the bus). */
  hasRoom(id: string): Promise<boolean> {
    return this.#rooms.has(id);
  }

  /** The people online in `room`, on every instance. */
  online(room: string): PresenceUser[] {
    return this.#hub.online(room);
  }

  /** Every room with its live user count. */
  rooms(): Promise<RoomInfo[]> {
    return this.#rooms.list();
  }

  /** Joins a room after checking it exists and the user may be there. */
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
    await this.#hub.join(client, room, since);
  }

  /** Leaves a room; the user's last connection there announces it. */
  leave(client: Client, room: string): void {
    this.#hub.leave(client, room);
  }

  /**
   * Stores a message and publishes it. Resolves once it is durable, with
   * the stored message (the original one when `clientId` was seen before).
   */
  send(
    client: Client,
    room: string,
    text: string,
    clientId?: string,
  ): Promise<{ message: ChatMessage; duplicate: boolean }> {
    return this.#messages.send(client, room, text, clientId);
  }

  /** The text as stored, or throws a {@link ChatError} saying why not. */
  cleanText(raw: string): string {
    return this.#messages.cleanText(raw);
  }

  /** Edits one's own message. */
  edit(client: Client, room: string, id: number, text: string): Promise<void> {
    return this.#messages.edit(client, room, id, text);
  }

  /** Deletes a message: one's own, or any as the room's moderator. */
  delete(client: Client, room: string, id: number): Promise<void> {
    return this.#messages.delete(client, room, id);
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
  createRoom(
    user: PresenceUser,
    room: string,
    address?: string,
  ): Promise<RoomInfo> {
    return this.#rooms.create(user, room, address);
  }

  /**
   * Deletes a room with its history, as its owner or an admin; rooms from
   * `CHAT_ROOMS` stay. Everyone in it is told (`left`, reason `deleted`).
   */
  deleteRoom(user: PresenceUser, room: string): Promise<void> {
    return this.#rooms.delete(room, () => this.canModerate(user, room));
  }

  /**
   * Deletes guests' rooms in which nothing was ever written, once older
   * than `EMPTY_ROOM_TTL_MS` and empty; returns how many went.
   */
  expireEmptyRooms(now = Date.now()): Promise<number> {
    return this.#rooms.expireEmpty(now);
  }

  /** Whether the account `name` is an admin, who moderates every room. */
  isAdmin(name: string): Promise<boolean> {
    return this.#moderation.isAdmin(name);
  }

  /** May `user` moderate `room` (its creator, or an admin)? */
  canModerate(user: PresenceUser, room: string): Promise<boolean> {
    return this.#moderation.canModerate(user, room);
  }

  /** Whether `user` was removed from `room` by a moderator lately. */
  isBanned(room: string, user: string): boolean {
    return this.#moderation.isBanned(room, user);
  }

  /** Removes a user from a room, as its moderator. */
  async kick(by: PresenceUser, room: string, user: string): Promise<void> {
    if (!(await this.canModerate(by, room))) {
      throw new ChatError("forbidden", "Only a moderator may remove users");
    }
    await this.#moderation.ban(room, user);
    await this.bus.publish({ kind: "kick", room, user });
  }

  /** Stops the hub and bus and closes the store after pending writes. */
  async close(): Promise<void> {
    clearInterval(this.#expiry);
    this.#hub.close();
    this.identities.close();
    await this.bus.close();
    await this.store.close();
  }
}

/** Whether `check` answers (anything but `false`) within the health timeout. */
async function answers(check: () => Promise<unknown>): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((r) =>
    timer = setTimeout(r, HEALTH_TIMEOUT_MS, false)
  );
  try {
    return await Promise.race([check().then((ok) => ok !== false), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
