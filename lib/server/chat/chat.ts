/**
 * The chat service: one per instance, and the only way the endpoints reach
 * the hub, the store and the bus. Entry points (the WebSocket endpoints, the
 * HTTP API) call it; it enforces the rules every endpoint shares. Rooms and
 * their quotas live in `rooms.ts`, membership in `membership.ts` (its
 * stored events in `membership_events.ts`), read state and mentions in
 * `read_state.ts`, member lists in `member_list.ts`, moderation and
 * authorship in `moderation.ts`, name holds in `identity.ts`, the rules of
 * private rooms and DMs in `access.ts`.
 *
 * @module
 */
import type { Config } from "@/lib/server/config.ts";
import { type Bus, LocalBus } from "@/lib/server/bus/bus.ts";
import { type Client, Hub } from "@/lib/server/realtime/hub.ts";
import { authorKey, Identities, type Identity } from "./identity.ts";
import { Metrics } from "@/lib/server/metrics.ts";
import type {
  ChatMessage,
  DirectoryRoom,
  MyRoom,
  PresenceUser,
  RoomInfo,
  ServerFrame,
} from "@/lib/shared/protocol.ts";
import type { Store } from "@/lib/server/store/store.ts";
import { openStore } from "@/lib/server/store/open.ts";
import { fold } from "@/lib/shared/names.ts";
import { ChatError } from "./chat_error.ts";
import { Rooms } from "./rooms.ts";
import { Moderation } from "./moderation.ts";
import { Messages } from "./messages.ts";
import { Membership } from "./membership.ts";
import { ReadState } from "./read_state.ts";
import {
  BadCursorError,
  memberPage,
  type MembersFrame,
} from "./member_list.ts";
import { dmRoomId } from "./dm.ts";
import type { FlowLog } from "@/lib/server/flow_log.ts";
import { logger } from "@/lib/server/log.ts";
import type { Socket, WireFormat } from "@/lib/server/realtime/hub.ts";

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

/** What the chat keeps per connected client. */
interface Session {
  /** Rooms its person is known to be a member of. */
  memberRooms: Set<string>;
  /** Public rooms it watches without being a member (`view`). */
  previews: Set<string>;
}

/** The chat service of one instance. */
export class Chat {
  readonly #hub: Hub;
  readonly #rooms: Rooms;
  readonly #moderation: Moderation;
  readonly #messages: Messages;
  readonly #membership: Membership;
  readonly #reads: ReadState;
  readonly #sessions = new WeakMap<Client, Session>();
  /** Folded name → member key of the guests connected here (for `invite`). */
  readonly #guests = new Map<string, { key: string; live: number }>();
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
    this.#membership = new Membership({
      config,
      store,
      rooms,
      hub,
      writeEvent: (room, event, text) =>
        this.#messages.announce(room, event, text),
    });
    this.#reads = new ReadState({
      store,
      lastId: (room) => this.#membership.lastId(room),
      toMember: (key, frame) => hub.toMember(key, frame),
    });
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
      awayAfterMs: config.awayAfterMs,
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

  /**
   * Registers an original-endpoint socket (no member key: it is never a
   * member, it only watches its room).
   */
  connect(socket: Socket, user: PresenceUser, format: WireFormat): Client {
    return this.#hub.connect(socket, user, format);
  }

  /**
   * Registers a native-protocol socket of `identity` and answers with the
   * rooms its person is a member of (the default rooms are joined on a
   * first visit), as `welcome` lists them.
   */
  async connectMember(
    socket: Socket,
    identity: Identity,
  ): Promise<{ client: Client; rooms: MyRoom[] }> {
    const user = { name: identity.name, guest: identity.guest };
    const key = authorKey(identity);
    const ids = key ? await this.#membership.roomsOf(key, user) : [];
    const client = this.#hub.connect(socket, user, "v1", key, ids);
    this.#sessions.set(client, {
      memberRooms: new Set(ids),
      previews: new Set(),
    });
    if (key && user.guest) {
      const g = this.#guests.get(fold(user.name));
      if (g && g.key === key) g.live++;
      else this.#guests.set(fold(user.name), { key, live: 1 });
    }
    const rooms = key
      ? await this.#membership.myRooms(key, user.name, ids)
      : [];
    return { client, rooms };
  }

  /** Forgets a client whose socket closed, leaving its rooms. */
  disconnect(client: Client): void {
    if (client.author && client.user.guest) {
      const name = fold(client.user.name);
      const g = this.#guests.get(name);
      if (g && g.key === client.author && --g.live <= 0) {
        this.#guests.delete(name);
      }
    }
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

  /** A frame arrived from `client`: its person is active (not away). */
  activity(client: Client): void {
    this.#hub.activity(client);
  }

  /** The people online in `room`, on every instance. */
  online(room: string): PresenceUser[] {
    return this.#hub.online(room);
  }

  /** Whether a room exists (a cached answer, kept fresh by the bus). */
  hasRoom(id: string): Promise<boolean> {
    return this.#rooms.has(id);
  }

  /** Whether anyone may see `room` (it exists and is public). */
  async isPublic(room: string): Promise<boolean> {
    return (await this.#rooms.facts(room))?.kind === "public";
  }

  /**
   * Whether the member `key` (undefined: someone without one) may read
   * `room`: a public room anyone, a private room or DM its members only.
   * False when there is no such room.
   */
  async mayRead(room: string, key: string | undefined): Promise<boolean> {
    const facts = await this.#rooms.facts(room);
    if (!facts) return false;
    if (facts.kind === "public") return true;
    return key !== undefined && await this.#membership.isMember(room, key);
  }

  /** The public rooms with the people online in each (the original format). */
  rooms(): Promise<RoomInfo[]> {
    return this.#rooms.list();
  }

  /** A page of the public room directory, ordered by id, after `cursor`. */
  async directory(
    cursor: string | undefined,
    limit: number,
  ): Promise<{ rooms: DirectoryRoom[]; next?: string }> {
    const page = await this.store.publicRooms({ after: cursor, limit });
    const rooms = await Promise.all(page.rooms.map(async (r) => ({
      id: r.id,
      name: r.id,
      ...(r.topic ? { topic: r.topic } : {}),
      members: await this.#membership.count(r.id),
      online: this.#hub.onlineCount(r.id),
    })));
    return { rooms, ...(page.next ? { next: page.next } : {}) };
  }

  /**
   * Joins a room: a public room makes its person a member (a stored
   * event, once) unless it is one; a private room or DM needs membership.
   * Then the socket is subscribed (`joined`, the replay after `since`, live
   * messages).
   */
  async join(client: Client, room: string, since?: number): Promise<void> {
    const facts = await this.#rooms.facts(room);
    if (!facts) throw new ChatError("no_such_room", `No such room: ${room}`);
    if (this.isBanned(room, client.user.name)) {
      throw new ChatError(
        "forbidden",
        `A moderator removed you from ${room}; try again later`,
      );
    }
    const key = client.author;
    const session = this.#sessions.get(client);
    let lastRead = 0;
    if (key && session) {
      let member = session.memberRooms.has(room) ||
        await this.#membership.isMember(room, key);
      if (!member) {
        if (facts.kind !== "public") throw forbidden(room);
        member = true;
        if (await this.#membership.add(room, key, client.user)) {
          this.#toMemberRoom(key, client.user.name, room);
        }
      }
      session.memberRooms.add(room);
      session.previews.delete(room);
      lastRead = (await this.store.reads.get(key, [room])).get(room) ?? 0;
    } else if (facts.kind !== "public") throw forbidden(room);
    await this.#hub.subscribe(client, room, since, {
      lastRead,
      members: await this.#membership.count(room),
    });
  }

  /**
   * Leaves a room: membership ends (a stored event) and every socket of
   * the person stops getting it, told `left`. Without membership only this
   * socket stops.
   */
  async leave(client: Client, room: string): Promise<void> {
    const key = client.author;
    const subscribed = client.rooms.has(room);
    const session = this.#sessions.get(client);
    session?.previews.delete(room);
    session?.memberRooms.delete(room);
    // Ended: the hub takes every subscribed socket of the person out.
    const ended = key !== undefined &&
      await this.#membership.remove(room, key, client.user.name);
    if (!ended || !subscribed) {
      this.#hub.unsubscribe(client, room);
      this.sendFrame(client, { type: "left", room });
    }
  }

  /**
   * The room this socket shows (null: none): presence and typing of that
   * room reach it. A public room it is not subscribed to is previewed:
   * subscribed, with no membership and no event.
   */
  async view(client: Client, room: string | null): Promise<void> {
    if (room === null) return this.#hub.view(client, null);
    const facts = await this.#rooms.facts(room);
    if (!facts) throw new ChatError("no_such_room", `No such room: ${room}`);
    if (!client.rooms.has(room)) {
      const key = client.author;
      const member = key !== undefined &&
        await this.#membership.isMember(room, key);
      if (!member && facts.kind !== "public") throw forbidden(room);
      if (member) await this.join(client, room);
      else {
        this.#sessions.get(client)?.previews.add(room);
        await this.#hub.subscribe(client, room, undefined, {
          lastRead: 0,
          members: await this.#membership.count(room),
        });
      }
    }
    this.#hub.view(client, room);
  }

  /** A page of `room`'s members, online first; members only for private rooms. */
  async members(
    client: Client,
    room: string,
    cursor?: string,
    limit?: number,
  ): Promise<MembersFrame> {
    if (!(await this.#rooms.has(room))) {
      throw new ChatError("no_such_room", `No such room: ${room}`);
    }
    if (!(await this.mayRead(room, client.author))) throw forbidden(room);
    try {
      return await memberPage(
        this.store.members,
        this.#hub,
        room,
        cursor,
        limit,
      );
    } catch (error) {
      if (error instanceof BadCursorError) {
        throw new ChatError("invalid_frame", error.message);
      }
      throw error;
    }
  }

  /** Marks `room` read up to `id` on every socket of the person. */
  async read(client: Client, room: string, id: number): Promise<void> {
    const key = client.author;
    if (!(await this.#rooms.has(room))) {
      throw new ChatError("no_such_room", `No such room: ${room}`);
    }
    if (
      key === undefined ||
      !(this.#sessions.get(client)?.memberRooms.has(room) ||
        await this.#membership.isMember(room, key))
    ) {
      throw new ChatError("not_member", `Join ${room} first`);
    }
    await this.#reads.read(key, room, id);
  }

  /**
   * Stores a message and publishes it. Resolves once it is durable, with
   * the stored message (the original one when `clientId` was seen before).
   * One's own message is read; `@name` mentions of members are recorded.
   */
  async send(
    client: Client,
    room: string,
    text: string,
    clientId?: string,
  ): Promise<{ message: ChatMessage; duplicate: boolean }> {
    if (this.#sessions.get(client)?.previews.has(room)) {
      throw new ChatError("not_member", `Join ${room} to write in it`);
    }
    if (!client.rooms.has(room) && !(await this.mayRead(room, client.author))) {
      throw forbidden(room);
    }
    const result = await this.#messages.send(client, room, text, clientId);
    if (!result.duplicate) {
      const { message } = result;
      this.#reads.sent(client.author, room, message.id, message.text);
    }
    return result;
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
      if (!(await this.mayRead(room, client.author))) throw forbidden(room);
      throw new ChatError("not_joined", `Join ${room} first`);
    }
    await this.bus.publish({
      kind: "typing",
      room,
      user: client.user.name,
      typing,
    });
  }

  /**
   * Creates a room (private: members only, accounts only); refuses
   * duplicates and users over their room quota. The creating `client`, if
   * given, becomes its first member and is sent `room`.
   */
  async createRoom(
    user: PresenceUser,
    room: string,
    options: { address?: string; private?: boolean; client?: Client } = {},
  ): Promise<void> {
    await this.#rooms.create(
      user,
      room,
      options.address,
      options.private ? "private" : "public",
    );
    const client = options.client;
    const key = client?.author;
    if (!client || !key) return;
    // No event: a room nobody else joined and nobody wrote in stays empty
    // (and a guest's expires).
    await this.#membership.add(room, key, client.user, { quiet: true });
    this.#sessions.get(client)?.memberRooms.add(room);
    this.#toMemberRoom(key, client.user.name, room);
  }

  /**
   * Adds `user` (an account, or a guest connected here by its current
   * name) to a private room, as its owner or a moderator. They get `room`.
   */
  async invite(by: Client, room: string, user: string): Promise<void> {
    const facts = await this.#moderated(by, room);
    if (facts.kind !== "private") {
      throw new ChatError(
        "forbidden",
        `${room} is public: anyone may join it`,
      );
    }
    const target = await this.#person(user);
    if (await this.#membership.add(room, target.key, target.user)) {
      this.#toMemberRoom(target.key, target.user.name, room);
    }
  }

  /**
   * Removes `user` from a private room, as its owner or a moderator: their
   * sockets get `left` (reason `removed`) and lose access.
   */
  async remove(by: Client, room: string, user: string): Promise<void> {
    const facts = await this.#moderated(by, room);
    if (facts.kind !== "private") {
      throw new ChatError(
        "forbidden",
        `Members leave a public room themselves; moderators kick`,
      );
    }
    const target = await this.#person(user);
    const removed = await this.#membership.remove(
      room,
      target.key,
      target.user.name,
      "removed",
    );
    if (!removed) {
      throw new ChatError("not_member", `${user} is not a member of ${room}`);
    }
  }

  /**
   * Opens the direct-message room of the client's account and the account
   * `user`: both become members and both get `room`.
   */
  async dm(client: Client, user: string): Promise<string> {
    const key = client.author;
    if (client.user.guest || !key) {
      throw new ChatError("forbidden", "Direct messages are for accounts");
    }
    const account = await this.store.accounts.get(fold(user));
    if (!account) throw new ChatError("no_such_user", `No account ${user}`);
    const other = `account:${fold(account.name)}`;
    if (other === key) {
      throw new ChatError("invalid_frame", "A DM needs another person");
    }
    const room = dmRoomId(key, other);
    await this.#rooms.ensureDm(room);
    const them = { name: account.name, guest: false };
    await Promise.all([
      this.#membership.add(room, key, client.user, { quiet: true }),
      this.#membership.add(room, other, them, { quiet: true }),
    ]);
    this.#sessions.get(client)?.memberRooms.add(room);
    this.#toMemberRoom(key, client.user.name, room);
    this.#toMemberRoom(other, them.name, room);
    return room;
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
    await this.#membership.flush();
    this.#hub.close();
    this.identities.close();
    await this.bus.close();
    await this.store.close();
  }

  /** The room's facts, when `by` may moderate it. */
  async #moderated(by: Client, room: string) {
    const facts = await this.#rooms.facts(room);
    if (!facts) throw new ChatError("no_such_room", `No such room: ${room}`);
    if (!(await this.canModerate(by.user, room))) {
      throw new ChatError(
        "forbidden",
        "Only the room's owner or a moderator may do that",
      );
    }
    return facts;
  }

  /** An account by name, or a guest connected here by its current name. */
  async #person(
    name: string,
  ): Promise<{ key: string; user: PresenceUser }> {
    const account = await this.store.accounts.get(fold(name));
    if (account) {
      return {
        key: `account:${fold(account.name)}`,
        user: { name: account.name, guest: false },
      };
    }
    const guest = this.#guests.get(fold(name));
    if (guest) return { key: guest.key, user: { name, guest: true } };
    throw new ChatError(
      "no_such_user",
      `No account ${name}, and no guest of that name is here`,
    );
  }

  /** Tells every socket of the member `key` that it is a member of `room`. */
  #toMemberRoom(key: string, self: string, room: string): void {
    this.#membership.myRoom(key, self, room).then((r) => {
      if (r) this.#hub.toMember(key, { type: "room", room: r });
    }).catch((error) =>
      this.#log.warn("telling {room}'s new member failed: {error}", {
        room,
        error: String(error),
      })
    );
  }
}

function forbidden(room: string): ChatError {
  return new ChatError("forbidden", `${room} is private: members only`);
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
