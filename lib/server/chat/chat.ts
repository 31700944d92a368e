/**
 * The chat service: one per instance, and the only way the endpoints reach
 * the hub, the store and the bus. Entry points (the WebSocket endpoints, the
 * HTTP API) call it; it enforces the rules every endpoint shares. Rooms and
 * their quotas live in `rooms.ts`, membership in `membership.ts` (its
 * stored events in `membership_events.ts`), what a socket joins, views and
 * may read in `subscriptions.ts`, read state and mentions in
 * `read_state.ts`, member lists in `member_list.ts`, invitations and DMs in
 * `private_rooms.ts`, moderation and authorship in `moderation.ts`, name
 * holds in `identity.ts`. (Past 300 lines: it is the one facade, each
 * method a documented entry that delegates.)
 *
 * @module
 */
import type { Config } from "@/lib/server/config.ts";
import { type Bus, LocalBus } from "@/lib/server/bus/bus.ts";
import { type Client, Hub } from "@/lib/server/realtime/hub.ts";
import {
  accountKey,
  authorKey,
  Identities,
  type Identity,
} from "./identity.ts";
import { fold } from "@/lib/shared/names.ts";
import { Metrics } from "@/lib/server/metrics.ts";
import type {
  ChatMessage,
  DirectoryRoom,
  FileRef,
  MemberEntry,
  MyRoom,
  PresenceUser,
  RoomInfo,
  ServerFrame,
} from "@/lib/shared/protocol.ts";
import { CLOSE } from "@/lib/shared/protocol.ts";
import { LOGGED_OUT } from "@/lib/shared/close_reason.ts";
import { sha256 } from "@/lib/server/auth/login_sessions.ts";
import type { Store } from "@/lib/server/store/store.ts";
import { openStore } from "@/lib/server/store/open.ts";
import { ChatError } from "./chat_error.ts";
import { Rooms } from "./rooms.ts";
import { banned, moderatesToo, Moderation } from "./moderation.ts";
import { Messages } from "./messages.ts";
import { type KnownOfRoom, Membership } from "./membership.ts";
import { QuietIds } from "./quiet_ids.ts";
import { ReadState } from "./read_state.ts";
import { type MembersFrame, membersStartingWith } from "./member_list.ts";
import { Subscriptions } from "./subscriptions.ts";
import { PrivateRooms } from "./private_rooms.ts";
import { type ReplyTo, type ThreadFrame, Threads } from "./threads.ts";
import { Reactions } from "./reactions.ts";
import { Pins } from "./pins.ts";
import { answerResyncs } from "./resync.ts";
import { HERE_EVERY_MS, HereLimit } from "./here_limit.ts";
import { HERE, mentionedNames } from "@/lib/shared/mentions.ts";
import type { FlowLog } from "@/lib/server/flow_log.ts";
import { logger } from "@/lib/server/log.ts";
import type { Socket, WireFormat } from "@/lib/server/realtime/hub.ts";
import { type Uploader, Uploads } from "@/lib/server/files/uploads.ts";

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

/** A send stored (or found stored), with its reply's thread root. */
interface StoredSend {
  result: { message: ChatMessage; duplicate: boolean };
  root?: ChatMessage | null;
}

/** The chat service of one instance. */
export class Chat {
  readonly #hub: Hub;
  readonly #rooms: Rooms;
  readonly #moderation: Moderation;
  readonly #messages: Messages;
  readonly #membership: Membership;
  readonly #reads: ReadState;
  readonly #subscriptions: Subscriptions;
  readonly #private: PrivateRooms;
  readonly #threads: Threads;
  /** Who used `@here` where lately (see `here_limit.ts`). */
  readonly #here = new HereLimit();
  /** Which ids of each room are no unread news (see `quiet_ids.ts`). */
  readonly #quiet: QuietIds;
  readonly #reactions: Reactions;
  readonly #pins: Pins;
  readonly #log = logger("chat");
  /**
   * The login session each account socket came with: the digest of its
   * (secret) id, as the session store keeps it and the bus carries it.
   */
  readonly #sessions = new WeakMap<Client, string>();
  #expiry: ReturnType<typeof setInterval> | undefined;
  /** Logs connections, joins, leaves and messages (see `flow_log.ts`). */
  readonly flow: FlowLog;
  /** File and image uploads and downloads (see `lib/server/files/uploads.ts`). */
  readonly uploads: Uploads;

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
    // Membership events, deleted messages and other people's threads are
    // no unread news: which ids are such, per room.
    const quiet = this.#quiet = new QuietIds({
      range: (room, after, upTo) => store.range(room, after, upTo),
      keep: config.historyLimit,
    });
    bus.subscribe((event) => {
      if (event.kind === "message") {
        quiet.note(event.message);
        this.#noteHere(event.message, event.reader);
      } else if (event.kind === "deleted") quiet.deleted(event.room, event.id);
      else if (event.kind === "room_deleted") quiet.forget(event.room);
      else if (event.kind === "logged_out") {
        this.#closeSessions(event.user, event.session);
      }
    });
    this.#membership = new Membership({
      config,
      store,
      rooms,
      hub,
      unreadBetween: (room, after, upTo, mentioned) =>
        quiet.unread(room, after, upTo, mentioned),
      writeEvent: (room, event, text) =>
        this.#messages.announce(room, event, text),
    });
    this.#private = new PrivateRooms({
      store,
      rooms,
      membership: this.#membership,
      canModerate: (user, room) => this.canModerate(user, room),
      mayRemove: (by, user, room) => this.#moderation.mayRemove(by, user, room),
      tellMember: (key, self, room) => this.#toMemberRoom(key, self, room),
    });
    this.#reads = new ReadState({
      store,
      lastId: (room) => this.#membership.lastId(room),
      counts: (key, room, lastRead, lastId) =>
        this.#membership.counts(key, room, lastRead, lastId),
      toMember: (key, frame) => hub.toMember(key, frame),
      onlineNames: (room) =>
        hub.online(room).flatMap((u) =>
          hub.status(u.name) === "online" ? [u.name] : []
        ),
    });
    this.#threads = new Threads({
      store,
      tellReadState: (key, room) => this.#reads.tell(key, room),
      isPublic: (room) => this.isPublic(room),
    });
    this.#subscriptions = new Subscriptions({
      store,
      hub,
      rooms,
      membership: this.#membership,
      reads: this.#reads,
      isBanned: (room, user) => this.isBanned(room, user),
      canModerate: (user, room) => this.canModerate(user, room),
      tellMember: (key, self, room, known) =>
        this.#toMemberRoom(key, self, room, known),
    });
    this.#reactions = new Reactions({
      store,
      bus,
      maySend: (client, room) => this.#subscriptions.maySend(client, room),
      mayRead: (client, room) => this.#mayReadOrThrow(client, room),
      toMember: (key, frame) => hub.toMember(key, frame),
    });
    this.#pins = new Pins({
      store,
      bus,
      mayRead: (client, room) => this.#mayReadOrThrow(client, room),
      canModerate: (user, room) => this.canModerate(user, room),
    });
    // What the bus lost while down reaches the rooms' sockets once it is back.
    answerResyncs({
      hub,
      rooms,
      pins: (room) => this.#pins.refreshed(room),
      nonReaders: (room, keys) => this.#subscriptions.nonReaders(room, keys),
      deleted: (room) => quiet.forget(room),
      log: this.#log,
    });
    this.uploads = new Uploads({
      config,
      store,
      mayRead: (room, key) => this.mayRead(room, key),
      isMember: (room, key) => this.#membership.isMember(room, key),
      isPublic: (room) => this.isPublic(room),
      checkParent: async (room, parent) => {
        await this.#threads.root(room, parent);
      },
      post: (who, room, file, clientId, reply) =>
        this.#postFile(who, room, file, clientId, reply),
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
      chat.uploads.expire().catch((error) =>
        chat.#log.warn("removing unfinished uploads failed: {error}", {
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
    session?: string,
  ): Promise<{ client: Client; rooms: MyRoom[] }> {
    const user = { name: identity.name, guest: identity.guest };
    const key = authorKey(identity);
    // A guest whose token was issued just now is a member of nothing yet.
    const { rooms: ids, lastRead } = key
      ? await this.#membership.roomsOf(key, user, identity.issued)
      : { rooms: [] };
    const client = this.#hub.connect(socket, user, "v1", key, ids);
    if (session && !user.guest) {
      this.#sessions.set(client, sha256(session));
    }
    if (key && user.guest) this.#private.guestConnected(user.name, key);
    let rooms: MyRoom[];
    try {
      rooms = key
        ? await this.#membership.myRooms(key, user.name, ids, lastRead)
        : [];
    } catch (error) {
      // No welcome, no client: the caller can't drop what it never got,
      // and a registered client would stay online for good.
      this.disconnect(client);
      throw error;
    }
    this.#subscriptions.opened(client, rooms);
    return { client, rooms };
  }

  /** Forgets a client whose socket closed, leaving its rooms. */
  disconnect(client: Client): void {
    if (client.author && client.user.guest) {
      this.#private.guestGone(client.user.name, client.author);
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

  /** Sends text in the client's own wire format, with backpressure. */
  sendData(client: Client, data: string): void {
    this.#hub.sendData(client, data);
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
  mayRead(room: string, key: string | undefined): Promise<boolean> {
    return this.#subscriptions.mayRead(room, key);
  }

  /**
   * Throws `no_such_room` unless `client` may read `room` or moderate it:
   * to anyone else a private room or DM does not exist, whatever the frame
   * (a moderator's frames included).
   */
  async shown(client: Client, room: string): Promise<void> {
    if (await this.mayRead(room, client.author)) return;
    if (
      (await this.hasRoom(room)) && (await this.canModerate(client.user, room))
    ) return;
    throw new ChatError("no_such_room", `No such room: ${room}`);
  }

  /** The public rooms with the people online in each (the original format). */
  rooms(): Promise<RoomInfo[]> {
    return this.#rooms.list();
  }

  /**
   * A page of the public room directory, ordered by id, after `cursor`;
   * only rooms whose id starts with `prefix` when given.
   */
  async directory(
    cursor: string | undefined,
    limit: number,
    prefix?: string,
  ): Promise<{ rooms: DirectoryRoom[]; next?: string }> {
    const page = await this.store.publicRooms({ after: cursor, limit, prefix });
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
  join(client: Client, room: string, since?: number): Promise<void> {
    return this.#subscriptions.join(client, room, since);
  }

  /**
   * Leaves a room: membership ends (a stored event) and every socket of
   * the person stops getting it, told `left`. Without membership only this
   * socket stops.
   */
  leave(client: Client, room: string): Promise<void> {
    return this.#subscriptions.leave(client, room);
  }

  /**
   * The room this socket shows (null: none): presence and typing of that
   * room reach it. A public room it is not subscribed to is previewed.
   */
  view(client: Client, room: string | null): Promise<void> {
    return this.#subscriptions.view(client, room);
  }

  /** A page of `room`'s members, online first; members only for private rooms. */
  members(
    client: Client,
    room: string,
    cursor?: string,
    limit?: number,
  ): Promise<MembersFrame> {
    return this.#subscriptions.members(client, room, cursor, limit);
  }

  /**
   * At most `limit` members of `room` whose folded name starts with
   * `prefix` (folded already), the name typed in full first, then the
   * online ones: `@` completion in rooms too big to load. The caller checks
   * that the asker may read the room ({@link mayRead}).
   */
  findMembers(
    room: string,
    prefix: string,
    limit: number,
  ): Promise<MemberEntry[]> {
    return membersStartingWith(
      this.store.members,
      this.#hub,
      room,
      prefix,
      limit,
    );
  }

  /** Marks `room` read up to `id` on every socket of the person. */
  read(client: Client, room: string, id: number): Promise<void> {
    return this.#subscriptions.read(client, room, id);
  }

  /**
   * Stores a message and publishes it. Resolves once it is durable, with
   * the stored message (the original one when `clientId` was seen before).
   * One's own message is read; `@name` mentions of members are recorded.
   * With `options.parent`, the message is a reply in the thread of that
   * message (see `threads.ts`): the thread's participants get it as a
   * mention, and only they count it unread unless `alsoInRoom` shows it in
   * the room's timeline too.
   */
  async send(
    client: Client,
    room: string,
    text: string,
    clientId?: string,
    options: Partial<ReplyTo> = {},
  ): Promise<{ message: ChatMessage; duplicate: boolean }> {
    // Whether it was in the room as the send arrived (before any wait).
    const wasIn = client.rooms.has(room);
    await this.#subscriptions.maySend(client, room);
    // A join still waiting in its window (the sender's, or of someone it
    // mentions) is told before the message.
    const key = client.author;
    const joining = this.#membership.joinsFirst(room, key, text);
    if (joining) await joining;
    // `@here` costs a lookup per person online: once in a while only.
    const here = key !== undefined && mentionedNames(text).includes(HERE);
    if (here && !this.#here.take(key, room, clientId)) {
      const s = Math.ceil(this.#here.wait(key, room) / 1000);
      throw new ChatError(
        "rate_limited",
        `@here can be used once every ${
          HERE_EVERY_MS / 1000
        } s in a room: wait ${s} s, or send it without @here`,
      );
    }
    let stored: StoredSend;
    try {
      stored = await this.#storeSend(
        client,
        room,
        text,
        clientId,
        options,
        wasIn,
      );
    } catch (error) {
      // Not stored: the @here it used is given back (a corrected send
      // has a new clientId).
      if (here) this.#here.release(key, room, clientId);
      throw error;
    }
    const { result, root } = stored;
    if (!result.duplicate) {
      const { message } = result;
      let mentioned: string[] = [];
      try {
        mentioned = await this.#reads.mentioned(
          key,
          room,
          message.id,
          message.text,
        );
      } catch (error) {
        // The message is stored: it is acked; only its mentions are lost.
        this.#log.warn("recording mentions in {room} failed: {error}", {
          room,
          error: String(error),
        });
      }
      if (root) await this.#threads.replied(key, root, message, mentioned);
      // Its sender's sockets learn it is read with the message itself.
    }
    return result;
  }

  /**
   * The stored part of {@link Chat.send}: checks the reply fields, finds a
   * reply's thread root, and stores the message (or finds it stored).
   */
  async #storeSend(
    client: Client,
    room: string,
    text: string,
    clientId: string | undefined,
    options: Partial<ReplyTo>,
    wasIn: boolean,
  ): Promise<StoredSend> {
    if (options.parent === undefined && options.alsoInRoom !== undefined) {
      throw new ChatError(
        "invalid_frame",
        "Invalid field alsoInRoom: only a reply (with parent) goes to the room too",
      );
    }
    const reply = options.parent === undefined ? undefined : {
      parent: options.parent,
      alsoInRoom: options.alsoInRoom,
    };
    let root = null;
    if (reply) {
      try {
        root = await this.#threads.root(room, reply.parent);
      } catch (error) {
        // A resend of a reply stored before its first message went: the
        // original answers, as for any resend.
        const prior = clientId === undefined ? null : await this.store.sent(
          room,
          client.user.guest && client.author ? client.author : client.user.name,
          clientId,
        );
        if (prior) return { result: { message: prior, duplicate: true } };
        throw error;
      }
    }
    const result = await this.#messages.send(
      client,
      room,
      text,
      clientId,
      reply,
      wasIn,
    );
    return { result, root };
  }

  /**
   * A page of the thread of message `id` in a room the client may read:
   * its first message with the summary, and replies oldest first.
   */
  async thread(
    client: Client,
    room: string,
    id: number,
    before?: number,
    limit?: number,
  ): Promise<ThreadFrame> {
    if (!(await this.hasRoom(room))) {
      throw new ChatError("no_such_room", `No such room: ${room}`);
    }
    await this.#mayReadOrThrow(client, room);
    return this.#threads.page(room, id, before, limit);
  }

  /** The text as stored, or throws a {@link ChatError} saying why not. */
  cleanText(raw: string): string {
    return this.#messages.cleanText(raw);
  }

  /** Edits one's own message (in a room one may read); resolves with its text as stored. */
  async edit(
    client: Client,
    room: string,
    id: number,
    text: string,
  ): Promise<string> {
    await this.#mayReadOrThrow(client, room);
    // Kicked out of a public room, one can still read it, not rewrite it.
    if (this.isBanned(room, client.user.name)) throw banned(room);
    return this.#messages.edit(client, room, id, text);
  }

  /**
   * Deletes a message: one's own, or any as the room's moderator. A pinned
   * one is unpinned (the room gets `unpinned`); the people it mentioned no
   * longer count it (each gets its read state anew).
   */
  async delete(client: Client, room: string, id: number): Promise<void> {
    await this.#mayReadOrThrow(client, room);
    await this.#messages.delete(client, room, id);
    // Counted out here at once: the counts told below must not wait for
    // the bus (the KV bus brings even this instance's events later).
    this.#quiet.deleted(room, id);
    // The message is deleted either way: what fails after is logged.
    const failed = (what: string) => (error: unknown) =>
      this.#log.warn(
        `${what} of deleted message {id} in {room} failed: {error}`,
        {
          room,
          id,
          error: String(error),
        },
      );
    // Pinned lists leave deleted messages out.
    await this.#pins.deleted(room, id).catch(failed("unpinning"));
    const mentioned = await this.store.reads.unmention(room, id).catch(
      (error) => {
        failed("dropping the mentions")(error);
        return [];
      },
    );
    await Promise.all(
      mentioned.map((key) =>
        this.#reads.tell(key, room).catch(failed("recounting the mentions"))
      ),
    );
  }

  /**
   * Adds (`add`) or takes off the client's reaction `emoji` on message `id`
   * (members only); its sockets get `reacted`, the room coalesced
   * `reactions` frames.
   */
  react(
    client: Client,
    room: string,
    id: number,
    emoji: string,
    add: boolean,
  ): Promise<void> {
    return this.#reactions.react(client, room, id, emoji, add);
  }

  /** The reactions of messages `ids` of a readable room, with `mine`. */
  reactions(client: Client, room: string, ids: number[]): Promise<ServerFrame> {
    return this.#reactions.list(client, room, ids);
  }

  /** Pins a message, as the room's owner or a moderator. */
  pin(client: Client, room: string, id: number): Promise<void> {
    return this.#pins.pin(client, room, id);
  }

  /** Unpins a message, as the room's owner or a moderator. */
  unpin(client: Client, room: string, id: number): Promise<void> {
    return this.#pins.unpin(client, room, id);
  }

  /** A readable room's pinned messages (a `pins` frame). */
  pins(client: Client, room: string): Promise<ServerFrame> {
    return this.#pins.list(client, room);
  }

  /** Sets (or with "" clears) a room's topic, as its owner or a moderator. */
  setTopic(client: Client, room: string, topic: string): Promise<void> {
    return this.#pins.setTopic(client, room, topic);
  }

  /** Announces typing in a room the client has joined. */
  async typing(client: Client, room: string, typing: boolean): Promise<void> {
    // A preview's socket is in the room, but its person may not write there.
    await this.#subscriptions.maySend(client, room);
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
    this.#toMemberRoom(key, client.user.name, room);
  }

  /**
   * Adds `user` (an account, or a guest connected here by its current
   * name) to a private room, as its owner or a moderator. They get `room`.
   */
  invite(by: Client, room: string, user: string): Promise<void> {
    return this.#private.invite(by.user, room, user);
  }

  /**
   * Removes `user` from a private room, as its owner or a moderator: their
   * subscribed sockets get `left` (reason `removed`) and lose access.
   */
  remove(by: Client, room: string, user: string): Promise<void> {
    return this.#private.remove(by.user, room, user);
  }

  /**
   * Opens the direct-message room of the client's account and the account
   * `user`: both become members and both get `room`. Returns its id.
   */
  dm(client: Client, user: string): Promise<string> {
    return this.#private.dm(client.user, client.author, user);
  }

  /**
   * Closes a DM for the client's person: read, and out of their list on
   * every tab until a newer message arrives or they open it again.
   */
  closeDm(client: Client, room: string): Promise<void> {
    return this.#subscriptions.closeDm(client, room);
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

  /**
   * Removes a user from a room, as its moderator: they may not come back
   * for a while, their membership ends (every socket of theirs is told
   * `left`, reason `kicked`), and their connections here and elsewhere
   * leave the room. `user` must be someone else: a member or someone online
   * in the room by that name, or an account (kept out before it comes).
   */
  async kick(by: PresenceUser, room: string, user: string): Promise<void> {
    if (!(await this.hasRoom(room))) {
      throw new ChatError("no_such_room", `No such room: ${room}`);
    }
    if (!(await this.canModerate(by, room))) {
      throw new ChatError("forbidden", "Only a moderator may remove users");
    }
    const name = fold(user);
    if (name === fold(by.name)) {
      // The ban would lock the moderator out of the room.
      throw new ChatError(
        "invalid_frame",
        "Invalid field user: you can't kick yourself; leave the room instead",
      );
    }
    if (!(await this.#moderation.mayRemove(by, user, room))) {
      throw moderatesToo(user);
    }
    // Members go by name here, as bans do: every member under that name.
    const named = await this.store.members.named(room, [name]);
    if (
      named.length === 0 &&
      !this.#hub.online(room).some((u) => fold(u.name) === name) &&
      !(await this.store.accounts.get(name))
    ) {
      throw new ChatError(
        "no_such_user",
        `No account ${user}, and nobody of that name is in ${room}`,
      );
    }
    await this.#moderation.ban(room, user);
    for (const m of named) {
      await this.#membership.remove(room, m.key, m.name, "kicked");
    }
    await this.bus.publish({ kind: "kick", room, user });
  }

  /**
   * Account `user`'s login session `session` ended, or every one of them
   * without it: the sockets opened with it, on every instance, close with
   * {@link LOGGED_OUT}.
   */
  async loggedOut(user: string, session?: string): Promise<void> {
    await this.bus.publish({
      kind: "logged_out",
      user: fold(user),
      ...(session ? { session: sha256(session) } : {}),
    });
  }

  /** An `@here` stored anywhere counts against its sender here too. */
  #noteHere(m: ChatMessage, sender: string | undefined): void {
    if (sender === undefined || m.event || !m.text.includes("@")) return;
    if (mentionedNames(m.text).includes(HERE)) {
      this.#here.note(sender, m.room, m.clientId);
    }
  }

  #closeSessions(user: string, session?: string): void {
    const key = accountKey(user);
    for (const client of this.#hub.clientsOf(key)) {
      if (session && this.#sessions.get(client) !== session) continue;
      this.#hub.drop(client, CLOSE.policy, LOGGED_OUT);
    }
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

  /**
   * Throws unless `client` may read `room`: `no_such_room` when there is
   * none, `forbidden` for a private room it is not in (so nothing of it
   * leaks).
   */
  async #mayReadOrThrow(client: Client, room: string): Promise<void> {
    if (client.rooms.has(room)) return;
    await this.#subscriptions.checkRead(room, client.author);
  }

  /**
   * Posts an upload's file to `room` as its uploader's message (`text` is
   * the file's name, for clients that show only text). A guest writes under
   * the name its token holds now, as its socket would.
   */
  async #postFile(
    who: Uploader,
    room: string,
    file: FileRef,
    clientId: string,
    reply?: ReplyTo,
  ): Promise<ChatMessage> {
    let user: PresenceUser;
    if (who.account !== undefined) {
      user = { name: who.account, guest: false };
    } else {
      const member = await this.store.members.get(room, who.key);
      if (!member || who.token === undefined) {
        throw new ChatError("forbidden", `Join ${room} to post to it`);
      }
      const identity = await this.identities.claimGuest(
        member.name,
        who.token,
      );
      this.identities.release(identity);
      if (identity.token !== who.token) {
        throw new ChatError("forbidden", "Not a guest token");
      }
      user = { name: identity.name, guest: true };
    }
    // A thread whose first message went while the file uploaded is over:
    // the file goes to the room instead, for the same readers.
    const root = reply
      ? await this.#threads.root(room, reply.parent).catch((error) => {
        if (error instanceof ChatError && error.code === "not_found") {
          return null;
        }
        throw error;
      })
      : null;
    // The sender's join still waiting in its window is told first, as for
    // a message (a file's name mentions nobody).
    await this.#membership.joinsFirst(room, who.key, "");
    const { message, duplicate } = await this.#messages.post({
      room,
      user: user.name,
      text: file.name,
      clientId,
      guest: user.guest,
      author: user.guest ? who.key : undefined,
      file,
      reader: who.key,
      ...(root ? { parent: root.id } : {}),
      ...(root && reply?.alsoInRoom ? { alsoInRoom: true } : {}),
    });
    // A file's name mentions nobody; its sender's sockets learn it is read
    // with the message itself. In a thread, those taking part get it counted.
    if (root && !duplicate) await this.#threads.replied(who.key, root, message);
    return message;
  }

  /** Tells every socket of the member `key` that it is a member of `room`. */
  #toMemberRoom(
    key: string,
    self: string,
    room: string,
    known: KnownOfRoom = {},
  ): Promise<void> {
    return this.#membership.myRoom(key, self, room, known).then((r) => {
      if (r) return this.#hub.toMember(key, { type: "room", room: r });
    }).catch((error) =>
      this.#log.warn("telling {room}'s new member failed: {error}", {
        room,
        error: String(error),
      })
    );
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
