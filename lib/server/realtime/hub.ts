/**
 * The hub: this instance's connected clients and their rooms (the
 * registry), and fan-out of what the bus brings to them.
 *
 * The roles around it live beside it: one room's subscribers and fan-out in
 * `room.ts`, in-order exactly-once delivery in `sequencer.ts`, history
 * replay on subscribe in `replay.ts`, slow-reader accounting in
 * `backpressure.ts`, who is online in `presence.ts` (replicated over the
 * bus), coalesced presence frames in `presence_frames.ts`, who looks at
 * which room in `viewers.ts`, typing notices in `typing.ts`, edits,
 * deletions and reactions the bus may have missed in `recent_changes.ts`,
 * and the frames of each wire format in `wire.ts`. (Past 300 lines:
 * `subscribe`, with its hand-off from replay to live delivery, is one
 * sequence that reads best whole, and the bus events each need the
 * registry.)
 *
 * @module
 */
import {
  CLOSE,
  type MemberEntry,
  type PresenceStatus,
  type PresenceUser,
  type ServerFrame,
} from "@/lib/shared/protocol.ts";
import { closeReason } from "@/lib/shared/close_reason.ts";
import { fold } from "@/lib/shared/names.ts";
import { Typing } from "./typing.ts";
import { type Member, Room } from "./room.ts";
import { replay } from "./replay.ts";
import { HistoryCache } from "./history_cache.ts";
import { Outflow, type Socket } from "./backpressure.ts";
import {
  frameData,
  joinLeaveLine,
  messageData,
  shows,
  type WireFormat,
} from "./wire.ts";
import { Presence } from "./presence.ts";
import { MAX_CHANGES, PresenceFrames } from "./presence_frames.ts";
import { Viewers } from "./viewers.ts";
import { ReactionFrames } from "./reaction_frames.ts";
import { RecentChanges } from "./recent_changes.ts";
import type { Store } from "@/lib/server/store/store.ts";
import type { Bus, BusEvent } from "@/lib/server/bus/bus.ts";
import { type Logger, logger } from "@/lib/server/log.ts";
import { FlowLog } from "@/lib/server/flow_log.ts";
import { Metrics } from "@/lib/server/metrics.ts";

export type { Socket, WireFormat };

/** A connected client. */
export interface Client {
  /** Unique within this hub. */
  readonly id: number;
  /** Who is connected, as others see them. */
  readonly user: PresenceUser;
  /** How this client wants its frames. */
  readonly format: WireFormat;
  /** Where its frames go. */
  readonly socket: Socket;
  /** Its outgoing frames, and whether it keeps up. */
  readonly out: Outflow;
  /** Rooms joined, with delivery state. */
  readonly rooms: Map<string, Member>;
  /** Set once the client is disconnected; late work for it is dropped. */
  closed: boolean;
  /**
   * Who wrote this connection's messages, beyond the display name (see
   * `authorKey`): the account, or a digest of a guest's secret token. Names
   * of guests are reused.
   */
  readonly author?: string;
  /**
   * The room this socket shows: undefined until it sends `view` (it then
   * shows every room it subscribed), null for none.
   */
  view?: string | null;
}

/** People listed in `joined`, at most. */
const JOINED_USERS = 50;

/**
 * While the bus is degraded, every this many sweeps (seconds) also catch up
 * the edits, deletions and reactions of the rooms' latest messages.
 */
const CHANGES_EVERY_SWEEPS = 5;
/**
 * Another instance's `catch_up` within this many ms of a resync or catch-up
 * here is covered by it: a Redis restart resyncs every instance at once, and
 * each then asks all the others.
 */
const CATCH_UP_COALESCE_MS = 2000;

/** What `subscribe` tells the client besides presence. */
export interface SubscribeInfo {
  /** The newest message id the user has read in the room. */
  lastRead: number;
  /** How many members the room has. */
  members: number;
}

/** Options of {@link Hub.memberRemoved}. */
export interface MemberRemovedOptions {
  /**
   * The member key (`authorKey`): its sockets, on every instance, are told
   * `left`, and those subscribed to the room leave it.
   */
  key?: string;
  /** Why, in those `left` frames. */
  reason?: "kicked" | "deleted" | "removed";
  /** Whether the member was a guest, as the member lists mark them. */
  guest?: boolean;
}

/**
 * What an {@link Hub.onResync} hook read of one room after a resync: what
 * the bus may have lost of it.
 */
export interface RoomResync {
  /** Frames for its subscribers here (its topic, its pins as stored now). */
  frames?: ServerFrame[];
  /**
   * It was deleted: its subscribers here leave it, told `left`, and every
   * socket here is told `room_deleted` (a room with no subscribers too).
   */
  deleted?: boolean;
  /**
   * Member keys subscribed here that may no longer read it (removed from a
   * private room): their sockets leave it, told `left` (`removed`).
   */
  removed?: string[];
}

/** Options of {@link Hub}. */
export interface HubOptions {
  /** Where messages are kept, and gaps are filled from. */
  store: Store;
  /** Where messages come from and go to, across instances. */
  bus: Bus;
  /** Bytes a socket may buffer before it counts as backed up. */
  slowClientBytes: number;
  /** How long a socket may stay backed up before it is closed. */
  slowClientGraceMs: number;
  /** How long a typing notice lasts without being renewed. */
  typingTtlMs: number;
  /** A person with no frame from any tab for this long is away; 300 000 by default. */
  awayAfterMs?: number;
  /** This instance's name on the bus; a random UUID by default. */
  instanceId?: string;
  /** How often this instance tells the others it is alive; 1000 by default. */
  presenceBeatMs?: number;
  /** An instance not heard from this long is forgotten; 3.5 beats by default. */
  presenceTtlMs?: number;
  /** Least time between two presence frames of a room; 1000 by default. */
  presenceFlushMs?: number;
  /** Least time between two `reactions` frames of a room; 250 by default. */
  reactionFlushMs?: number;
  /** Counters to update; a fresh set by default. */
  metrics?: Metrics;
  /** How long to wait for a missing message before reading it from the store. */
  gapWaitMs?: number;
  /** The clock, in epoch milliseconds; `Date.now` by default. */
  now?: () => number;
  /** Where problems are logged; the "hub" logger by default. */
  log?: Logger;
  /** The terminal's view of the message flow; the "flow" logger by default. */
  flow?: FlowLog;
}

/** Local clients and rooms, presence everywhere, and fan-out to them. */
export class Hub {
  /** This hub's counters and gauges. */
  readonly metrics: Metrics;
  /** This instance's name on the bus. */
  readonly instance: string;
  readonly #clients = new Set<Client>();
  readonly #rooms = new Map<string, Room>();
  /** Member key → its sockets here. */
  readonly #byAuthor = new Map<string, Set<Client>>();
  readonly #viewers = new Viewers();
  /** Replay's reads, shared by clients coming back together. */
  readonly #history: HistoryCache;
  readonly #typing: Typing;
  readonly #presence: Presence;
  readonly #frames: PresenceFrames;
  readonly #reactions: ReactionFrames;
  /** What the sockets were told of each room's latest messages. */
  readonly #changes: RecentChanges;
  /** Logs connections, joins, leaves and messages (see `flow_log.ts`). */
  readonly flow: FlowLog;
  readonly #o: {
    store: Store;
    bus: Bus;
    gapWaitMs: number;
    now: () => number;
    log: Logger;
    slowClientBytes: number;
    slowClientGraceMs: number;
  };
  readonly #sweep: ReturnType<typeof setInterval>;
  /** Told of each socket here whose person's membership of a room ended. */
  readonly #membershipEnded: ((
    client: Client,
    room: string,
    reason?: MemberRemovedOptions["reason"],
  ) => void)[] = [];
  /** Asked, after a resync, for room state the bus may have lost. */
  readonly #resynced: ((
    rooms: ReadonlyMap<string, ReadonlySet<string>>,
  ) => Promise<Map<string, RoomResync>>)[] = [];
  #nextId = 1;
  /** When the last resync or catch-up ran here (`now()`), -Infinity: none. */
  #resyncedAt = -Infinity;
  #busDown = false;
  /** Sweeps since the bus became degraded. */
  #downSweeps = 0;

  /** Creates a hub with no clients and asks the other instances who is online. */
  constructor(options: HubOptions) {
    this.#o = {
      store: options.store,
      bus: options.bus,
      slowClientBytes: options.slowClientBytes,
      slowClientGraceMs: options.slowClientGraceMs,
      gapWaitMs: options.gapWaitMs ?? 250,
      now: options.now ?? Date.now,
      log: options.log ?? logger("hub"),
    };
    this.instance = options.instanceId ?? crypto.randomUUID();
    this.#history = new HistoryCache(this.#o.store);
    this.metrics = options.metrics ?? new Metrics();
    this.flow = options.flow ??
      new FlowLog(logger("flow"), { now: this.#o.now });
    this.#typing = new Typing(
      options.typingTtlMs,
      (room, user, typing) =>
        this.#toViewers(room, { type: "typing", room, user, typing }, user),
    );
    this.#frames = new PresenceFrames({
      intervalMs: options.presenceFlushMs ?? 1000,
      count: (room) => this.#presence.count(room),
      send: (room, frame) => this.#toViewers(room, frame),
    });
    this.#reactions = new ReactionFrames({
      flushMs: options.reactionFlushMs ?? 250,
      read: (room, ids) => this.#o.store.reactions.summaries(room, ids),
      send: (room, frame) => this.#toRoom(room, frame),
      watched: (room) => this.#rooms.has(room),
      log: this.#o.log,
      now: this.#o.now,
    });
    this.#changes = new RecentChanges({
      source: {
        range: (room, after, upTo) => this.#o.store.range(room, after, upTo),
        reactions: (room, ids) => this.#o.store.reactions.summaries(room, ids),
      },
      send: (room, frame) => this.#rooms.get(room)?.toMembers(frame),
      log: this.#o.log,
    });
    const beatMs = options.presenceBeatMs ?? 1000;
    this.#presence = new Presence({
      instance: this.instance,
      publish: (event) => this.#publish(event),
      now: this.#o.now,
      awayAfterMs: options.awayAfterMs ?? 300_000,
      beatMs,
      ttlMs: options.presenceTtlMs ?? 3.5 * beatMs,
      deaf: () => this.#o.bus.degraded?.() === true,
      onChange: (room, entry) => {
        if (this.#viewers.has(room)) this.#frames.add(room, entry);
      },
    });
    this.#o.bus.subscribe((event) => this.#onBus(event));
    this.#presence.start();
    this.#sweep = setInterval(() => {
      this.#history.sweep();
      for (const c of this.#clients) if (!c.out.keepsUp()) this.#dropSlow(c);
      // The bus can't reach other instances: their messages are in the store.
      const degraded = this.#o.bus.degraded?.() ?? false;
      if (degraded !== this.#busDown) {
        this.#busDown = degraded;
        this.#downSweeps = 0;
        if (degraded) this.flow.busDown(this.#o.bus.constructor.name);
        else this.flow.busUp(this.#o.bus.constructor.name);
      }
      if (degraded) {
        // Changes cost a bigger read than new messages: less often.
        const changes = ++this.#downSweeps % CHANGES_EVERY_SWEEPS === 0;
        for (const [id, room] of this.#rooms) {
          if (room.members.size > 0) this.#catchUp(id, room, changes);
        }
      }
    }, 1000);
  }

  /**
   * Registers a connected socket. `rooms` are the person's member rooms:
   * while connected they count as online there. An original-endpoint
   * connection counts in the room it subscribes instead.
   */
  connect(
    socket: Socket,
    user: PresenceUser,
    format: WireFormat,
    author?: string,
    rooms: Iterable<string> = [],
  ): Client {
    const client: Client = {
      id: this.#nextId++,
      user,
      format,
      socket,
      out: new Outflow(socket, this.#o),
      rooms: new Map(),
      closed: false,
      author,
    };
    this.#clients.add(client);
    if (author !== undefined) {
      let set = this.#byAuthor.get(author);
      if (!set) this.#byAuthor.set(author, set = new Set());
      set.add(client);
    }
    this.#presence.open(user, format === "v1" ? rooms : []);
    this.metrics.connections.set(this.#clients.size);
    return client;
  }

  /** Removes a client from every room; call when its socket closes. */
  disconnect(client: Client): void {
    if (!this.#clients.delete(client)) return;
    client.closed = true;
    this.#viewers.gone(client);
    for (const room of [...client.rooms.keys()]) this.unsubscribe(client, room);
    if (client.author !== undefined) {
      const set = this.#byAuthor.get(client.author);
      set?.delete(client);
      if (set?.size === 0) this.#byAuthor.delete(client.author);
    }
    this.#presence.close(client.user.name);
    this.metrics.connections.set(this.#clients.size);
  }

  /** Closes a client's socket and removes it at once. */
  drop(client: Client, code: number, reason: string): void {
    try {
      client.socket.close(code, closeReason(reason));
    } catch { /* already closing */ }
    this.disconnect(client);
  }

  /**
   * Subscribes a client to a room's messages. With `since`, replays every
   * stored message after it before live ones, with no gap and no repeat;
   * says `gap` when retention removed some of them. A native client is
   * sent `joined` first: the first online people, the online count, and
   * `info` (its read state and the member count; without it, 0 and the
   * online count). Nothing is announced to others.
   */
  async subscribe(
    client: Client,
    room: string,
    since?: number,
    info?: SubscribeInfo,
  ): Promise<void> {
    // A socket that closed while its join was on the way must not haunt the room.
    if (client.closed) return;
    if (client.rooms.has(room)) this.#detach(client, room);
    const state = this.#room(room);
    const member: Member = { client, pending: [] };
    state.members.add(member);
    client.rooms.set(room, member);
    this.#viewers.subscribed(client, room);
    this.flow.joined(client, room);
    const first = client.format !== "v1" &&
      this.#presence.enter(client.user.name, room);
    try {
      await state.sequencer.ready();
      const upTo = state.sequencer.lastId;
      if (client.format === "v1") {
        const online = this.#presence.count(room);
        this.#send(
          client,
          frameData({
            type: "joined",
            room,
            users: this.#presence.online(room, JOINED_USERS),
            lastId: upTo,
            lastRead: info?.lastRead ?? 0,
            members: info?.members ?? online,
            online,
          }),
        );
        if (since !== undefined) {
          await replay(
            this.#history,
            {
              gone: () => client.closed,
              frame: (frame) => this.#send(client, frameData(frame)),
              message: (m) => this.#send(client, messageData(client.format, m)),
              drained: () => client.out.drained(() => client.closed),
            },
            room,
            since,
            upTo,
          );
        }
      }
      if (client.closed || client.rooms.get(room) !== member) return;
      const held = member.pending ?? [];
      member.pending = null;
      for (const m of held) {
        if (m.id > upTo && shows(client.format, m)) {
          this.#send(client, messageData(client.format, m));
        }
      }
    } finally {
      if (member.pending) member.pending = null;
    }
    if (first) await this.announceOriginal(room, client.user, "joined");
  }

  /** Stops a client's messages of a room; nothing is announced to others. */
  unsubscribe(client: Client, room: string): void {
    if (!client.rooms.has(room)) return;
    // A closing connection's rooms go with its "disconnected" line.
    if (!client.closed) this.flow.left(client, room);
    this.#detach(client, room);
  }

  /** Same as {@link Hub.subscribe} without `info` (the v1 name). */
  join(client: Client, room: string, since?: number): Promise<void> {
    return this.subscribe(client, room, since);
  }

  /** Same as {@link Hub.unsubscribe} (the v1 name). */
  leave(client: Client, room: string): void {
    this.unsubscribe(client, room);
  }

  /**
   * The one room `client` shows (null: none): presence and typing of that
   * room only go to it from now on. For a room, it is sent a `presence`
   * frame at once: the online count, the first 20 online people with
   * their status in `changes`, and `more` when there are others.
   */
  view(client: Client, room: string | null): void {
    if (client.closed) return;
    this.#viewers.view(client, room);
    if (room === null || client.format !== "v1" || !client.rooms.has(room)) {
      return;
    }
    const online = this.#presence.count(room);
    this.#send(
      client,
      frameData({
        type: "presence",
        room,
        online,
        changes: this.onlineMembers(room, MAX_CHANGES),
        ...(online > MAX_CHANGES ? { more: true } : {}),
      }),
    );
  }

  /** A frame arrived from `client`: its person is not away. */
  activity(client: Client): void {
    this.#presence.active(client.user.name);
  }

  /**
   * `user` became a member of `room`: while connected anywhere they count
   * as online there, on every instance (this one at once).
   */
  memberAdded(room: string, user: PresenceUser): Promise<void> {
    this.#presence.memberAdded(room, user);
    return this.#publish({
      kind: "member",
      room,
      name: user.name,
      guest: user.guest,
      added: true,
    });
  }

  /**
   * `name` is no longer a member of `room`, on every instance. With
   * `options.key`, that member's sockets subscribed to the room leave it
   * and are told `left` (with `options.reason`), on every instance.
   */
  memberRemoved(
    room: string,
    name: string,
    options: MemberRemovedOptions = {},
  ): Promise<void> {
    this.#presence.memberRemoved(room, name);
    const { guest = false, ...rest } = options;
    return this.#publish({
      kind: "member",
      room,
      name,
      guest,
      added: false,
      ...rest,
    });
  }

  /**
   * Calls `fn` for each socket here whose person's membership of a room
   * ended (left in another tab, removed, kicked; on any instance), whether
   * or not that socket is subscribed to the room.
   */
  onMembershipEnded(
    fn: (
      client: Client,
      room: string,
      reason?: MemberRemovedOptions["reason"],
    ) => void,
  ): void {
    this.#membershipEnded.push(fn);
  }

  /**
   * Calls `fn` after a resync (the bus may have lost events) with the rooms
   * that have subscribers here, each with the member keys subscribed; what
   * it resolves to per room is applied here (see {@link RoomResync}): a
   * deletion to any room, the rest to a room whose subscribers have not all
   * left meanwhile.
   */
  onResync(
    fn: (
      rooms: ReadonlyMap<string, ReadonlySet<string>>,
    ) => Promise<Map<string, RoomResync>>,
  ): void {
    this.#resynced.push(fn);
  }

  /** Sends a frame to every socket of member key `author`, on every instance. */
  toMember(author: string, frame: ServerFrame): Promise<void> {
    return this.#publish({ kind: "to_member", key: author, frame });
  }

  /**
   * Tells the original room endpoint's clients of `room`, on every
   * instance, that `user` joined or left (its "입장/퇴장" lines). The hub
   * does it itself for original-endpoint connections.
   */
  announceOriginal(
    room: string,
    user: PresenceUser,
    kind: "joined" | "left",
  ): Promise<void> {
    return this.#publish({ kind, room, user });
  }

  /** The people online (or away) in `room`, in name order (kept, not to be changed). */
  onlineByName(room: string): readonly PresenceUser[] {
    return this.#presence.onlineByName(room);
  }

  /** The people online (or away) in `room`, earliest first. */
  online(room: string, limit?: number): PresenceUser[] {
    return this.#presence.online(room, limit);
  }

  /** How many people are online (or away) in `room`. */
  onlineCount(room: string): number {
    return this.#presence.count(room);
  }

  /** A person's status, over every tab and instance. */
  status(name: string): PresenceStatus {
    return this.#presence.status(name);
  }

  /** The first `limit` people online in `room`, with their status. */
  onlineMembers(room: string, limit?: number): MemberEntry[] {
    return this.#presence.online(room, limit).map((u) => ({
      ...u,
      status: this.#presence.status(u.name),
    }));
  }

  /**
   * A page of a room's members with their status. With `onlineFirst` (the
   * first page), the room's online members come first (at most `limit`),
   * then the page's others.
   */
  membersPage(
    room: string,
    page: readonly PresenceUser[],
    options: { onlineFirst?: boolean; limit?: number } = {},
  ): MemberEntry[] {
    const withStatus = (u: PresenceUser): MemberEntry => ({
      name: u.name,
      guest: u.guest,
      status: this.#presence.status(u.name),
    });
    if (!options.onlineFirst) return page.map(withStatus);
    const first = this.onlineMembers(room, options.limit);
    const listed = new Set(first.map((m) => m.name));
    return [
      ...first,
      ...page.filter((u) => !listed.has(u.name)).map(withStatus),
    ];
  }

  /** Sends a frame to one client. */
  sendFrame(client: Client, frame: ServerFrame): void {
    this.#send(client, frameData(frame));
  }

  /**
   * Sends text already in the client's wire format (an original-protocol
   * notice), watched like every frame: a client that doesn't read is
   * dropped.
   */
  sendData(client: Client, data: string): void {
    this.#send(client, data);
  }

  /** The connected clients of member key `author` (an account's, say). */
  clientsOf(author: string): Client[] {
    return [...this.#clients].filter((c) => c.author === author);
  }

  /** Closes every socket with `code`, for shutdown. */
  closeAll(code: number, reason: string): void {
    for (const c of [...this.#clients]) this.drop(c, code, reason);
  }

  /** Stops timers and tells the other instances this one's people left. */
  close(): void {
    clearInterval(this.#sweep);
    this.#presence.stop();
    this.#frames.close();
    this.#reactions.close();
    this.#changes.close();
    this.flow.close();
    this.#typing.close();
    for (const room of this.#rooms.values()) room.close();
  }

  /** Takes `client` out of `room`. */
  #detach(client: Client, room: string): void {
    const member = client.rooms.get(room);
    const state = this.#rooms.get(room);
    if (!member || !state) return;
    client.rooms.delete(room);
    state.members.delete(member);
    this.#viewers.unsubscribed(client, room);
    if (
      client.format !== "v1" && this.#presence.exit(client.user.name, room)
    ) {
      this.announceOriginal(room, client.user, "left");
    }
    if (state.members.size === 0) {
      state.close();
      this.#rooms.delete(room);
      this.#changes.forget(room);
    }
  }

  #room(id: string): Room {
    let room = this.#rooms.get(id);
    if (!room) {
      room = new Room({
        id,
        source: this.#o.store,
        send: (client, data) => this.#send(client, data),
        drop: (client, code, reason) => this.drop(client, code, reason),
        delivering: (m) => {
          this.#typing.stop(m.room, m.user);
          this.#changes.delivered(m);
        },
        metrics: this.metrics,
        gapWaitMs: this.#o.gapWaitMs,
        log: this.#o.log,
      });
      this.#rooms.set(id, room);
    }
    return room;
  }

  /** Publishes on the bus; never rejects (a failure is logged). */
  #publish(event: BusEvent): Promise<void> {
    return this.#o.bus.publish(event).catch((error) =>
      this.#o.log.warn("publishing a {kind} event failed: {error}", {
        kind: event.kind,
        error: String(error),
      })
    );
  }

  #onBus(event: BusEvent): void {
    switch (event.kind) {
      case "message":
        // A reply moves its first message's thread summary.
        if (event.message.parent !== undefined) {
          this.#history.invalidate(event.message.room);
        }
        this.#rooms.get(event.message.room)?.sequencer.push(event.message);
        // One's own message is read: nothing after it is unread, whatever
        // came meanwhile (those count from the next change on).
        if (event.reader !== undefined) {
          this.#toMember(event.reader, {
            type: "read",
            room: event.message.room,
            lastRead: event.message.id,
            unread: 0,
            mentions: 0,
          });
        }
        return;
      case "typing":
        return this.#typing.set(event.room, event.user, event.typing);
      case "people":
      case "instance":
        this.#presence.receive(event);
        return;
      case "member":
        return this.#onMember(event);
      case "to_member":
        return this.#toMember(event.key, event.frame);
      case "joined":
      case "left":
        return this.#rooms.get(event.room)?.toOriginal(
          joinLeaveLine(event.user.name, event.kind, event.room),
        );
      case "edited": {
        this.#history.invalidate(event.room);
        // A message not delivered here yet goes out edited.
        const { text } = event;
        const later = this.#rooms.get(event.room)?.sequencer.amend(
          event.id,
          (m) => ({ ...m, text, edited: true }),
        );
        if (later) return;
        return this.#toRoom(event.room, {
          type: "edited",
          room: event.room,
          id: event.id,
          text: event.text,
        });
      }
      case "deleted": {
        this.#history.invalidate(event.room);
        // A message not delivered here yet goes out deleted, as stored.
        const later = this.#rooms.get(event.room)?.sequencer.amend(
          event.id,
          ({ file: _, ...m }) => ({ ...m, text: "", deleted: true }),
        );
        if (later) return;
        const { kind: _, ...deleted } = event;
        return this.#toRoom(event.room, { type: "deleted", ...deleted });
      }
      case "reaction":
        return this.#reactions.changed(event.room, event.id);
      case "room_frame":
        return this.#rooms.get(event.room)?.toMembers(event.frame);
      case "room":
        // A new room reaches its members as `room` frames (`toMember`).
        return;
      case "room_deleted":
        this.#history.invalidate(event.room);
        return this.#onRoomDeleted(event.room);
      case "kick":
        return this.#kick(event.room, event.user);
      case "resync":
        this.#resync();
        // What this instance did meanwhile reached no other: they catch up.
        void this.#publish({ kind: "catch_up", instance: this.instance });
        return;
      case "catch_up":
        // Several at once (a Redis restart resyncs every instance): one does.
        if (
          event.instance !== this.instance &&
          this.#o.now() - this.#resyncedAt >= CATCH_UP_COALESCE_MS
        ) this.#resync();
        return;
    }
  }

  /**
   * Reads what the bus may have missed of `room`: its new messages, then,
   * with `changes`, edits, deletions and reactions of its latest messages
   * (after the new ones, so that those are covered too).
   */
  #catchUp(id: string, room: Room, changes: boolean): void {
    const caught = room.sequencer.catchUp();
    if (!changes) return;
    caught.then(() => {
      const upTo = room.sequencer.lastId;
      if (this.#rooms.get(id) === room && upTo >= 0) {
        return this.#changes.catchUp(id, upTo);
      }
    });
  }

  /**
   * Events may have been lost: every room with subscribers here reads its
   * new messages and the changes of its latest ones, and the
   * {@link onResync} hooks say what else changed.
   */
  #resync(): void {
    this.#resyncedAt = this.#o.now();
    // Edits and deletions may have gone unnoticed: nothing kept is sure.
    this.#history.clear();
    const subscribed = new Map<string, Set<string>>();
    const asked = new Map(this.#rooms);
    for (const [id, room] of asked) {
      this.#catchUp(id, room, true);
      const keys = new Set<string>();
      for (const m of room.members) {
        if (m.client.author !== undefined) keys.add(m.client.author);
      }
      subscribed.set(id, keys);
    }
    for (const fn of this.#resynced) {
      fn(subscribed).then((found) => {
        for (const [id, change] of found) {
          if (change.deleted) {
            this.#history.invalidate(id);
            this.#onRoomDeleted(id);
            continue;
          }
          const room = this.#rooms.get(id);
          if (room === undefined || room !== asked.get(id)) continue;
          this.#applyResync(id, room, change);
        }
      }).catch((error) =>
        this.#o.log.warn("refreshing rooms after a resync failed: {error}", {
          error: String(error),
        })
      );
    }
  }

  /** Applies what a resync found of `room`, which still exists. */
  #applyResync(id: string, room: Room, change: RoomResync): void {
    for (const frame of change.frames ?? []) room.toMembers(frame);
    for (const key of change.removed ?? []) {
      const name = this.#byAuthor.get(key)?.values().next().value?.user.name;
      if (name !== undefined) this.#presence.memberRemoved(id, name);
      this.#membershipEndedHere(id, key, "removed");
    }
  }

  /**
   * Sends an `edited`, `deleted` or `reactions` frame to the room's
   * subscribers here, recording that they were told.
   */
  #toRoom(room: string, frame: ServerFrame): void {
    const state = this.#rooms.get(room);
    if (!state) return;
    this.#changes.told(room, frame);
    state.toMembers(frame);
  }

  #onMember(event: BusEvent & { kind: "member" }): void {
    const { room, name, key, reason } = event;
    if (event.added) {
      this.#presence.memberAdded(room, { name, guest: event.guest });
      return;
    }
    this.#presence.memberRemoved(room, name);
    // Member lists drop the name (going offline alone would keep it).
    if (this.#viewers.has(room)) {
      this.#frames.add(room, {
        name,
        guest: event.guest,
        status: "offline",
        left: true,
      });
    }
    if (key !== undefined) this.#membershipEndedHere(room, key, reason);
  }

  /**
   * Member `key`'s membership of `room` ended: every socket of the person
   * here learns it, subscribed to the room or not (a tab showing another
   * room drops it from its list), and leaves the room.
   */
  #membershipEndedHere(
    room: string,
    key: string,
    reason: MemberRemovedOptions["reason"],
  ): void {
    for (const c of [...this.#byAuthor.get(key) ?? []]) {
      for (const fn of this.#membershipEnded) fn(c, room, reason);
      this.unsubscribe(c, room);
      if (c.format === "v1") {
        this.sendFrame(c, {
          type: "left",
          room,
          ...(reason ? { reason } : {}),
        });
      }
    }
  }

  /** Sends `frame` to this instance's native sockets of member `key`. */
  #toMember(key: string, frame: ServerFrame): void {
    const sockets = this.#byAuthor.get(key);
    if (!sockets) return;
    const data = frameData(frame);
    for (const c of sockets) if (c.format === "v1") this.#send(c, data);
  }

  /** A room was deleted: its members are told and leave it. */
  #onRoomDeleted(room: string): void {
    for (const c of [...this.#clients]) {
      // Every socket forgets it, subscribed or not.
      for (const fn of this.#membershipEnded) fn(c, room, "deleted");
      if (!c.rooms.has(room)) continue;
      this.#detach(c, room);
      if (c.format === "v1") {
        this.sendFrame(c, { type: "left", room, reason: "deleted" });
      } else this.drop(c, CLOSE.policy, "The room was deleted");
    }
    this.#toAll({ type: "room_deleted", room });
  }

  /** Removes `user`'s connections here from `room`, as a moderator asked. */
  #kick(room: string, user: string): void {
    // Names are unique folded: a kick of "mina" is one of "Mina".
    const name = fold(user);
    for (const c of [...this.#clients]) {
      if (!c.rooms.has(room) || fold(c.user.name) !== name) continue;
      this.unsubscribe(c, room);
      if (c.format === "v1") {
        this.sendFrame(c, { type: "left", room, reason: "kicked" });
      } else {
        this.drop(c, CLOSE.policy, "Removed from the room by a moderator");
      }
    }
  }

  /** Sends a native frame to the sockets showing `room`, but `except`'s. */
  #toViewers(room: string, frame: ServerFrame, except?: string): void {
    const viewers = this.#viewers.of(room);
    if (viewers.size === 0) return;
    const data = frameData(frame);
    for (const c of viewers) if (c.user.name !== except) this.#send(c, data);
  }

  #send(client: Client, data: string): void {
    if (client.closed) return;
    if (!client.out.send(data)) this.#dropSlow(client);
  }

  #dropSlow(client: Client): void {
    this.flow.slowDropped(client, client.socket.bufferedAmount);
    this.metrics.slowDropped.inc();
    this.drop(client, CLOSE.tryAgain, "Too slow to keep up; reconnect");
  }

  /** Sends a frame to every v1 client, in every room or none. */
  #toAll(frame: ServerFrame): void {
    const data = frameData(frame);
    for (const c of this.#clients) if (c.format === "v1") this.#send(c, data);
  }
}
