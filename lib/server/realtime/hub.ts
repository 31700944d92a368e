/**
 * The hub: connected clients, their rooms, and delivery.
 *
 * Messages reach the hub from the bus, in any order and possibly twice; the
 * hub delivers each room's messages to its local members exactly once and in
 * id order, filling gaps from the store. A frame is serialised once per
 * message and wire format, never per recipient. A slow reader never holds a
 * room back: its socket buffers, and once it stays backed up past a grace
 * period it is closed with 1013.
 *
 * @module
 */
import type {
  ChatMessage,
  PresenceUser,
  ServerFrame,
} from "@/lib/shared/protocol.ts";
import { Typing } from "./typing.ts";
import { RoomPresence } from "./presence.ts";
import {
  frameData,
  joinLeaveLine,
  messageData,
  type WireFormat,
} from "./wire.ts";
import { CLOSE } from "@/lib/shared/protocol.ts";
import type { Store } from "@/lib/server/store/store.ts";
import type { Bus, BusEvent } from "@/lib/server/bus/bus.ts";
import { type Logger, logger } from "@/lib/server/log.ts";
import { FlowLog } from "@/lib/server/flow_log.ts";
import { Metrics } from "@/lib/server/metrics.ts";

/** The socket surface the hub needs; a `WebSocket` satisfies it. */
export interface Socket {
  /** `WebSocket.OPEN` while frames can be sent. */
  readonly readyState: number;
  /** Bytes queued but not yet sent. */
  readonly bufferedAmount: number;
  /** Queues one frame. */
  send(data: string): void;
  /** Closes the connection. */
  close(code?: number, reason?: string): void;
}

export type { WireFormat };

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
  /** Rooms joined, with delivery state. */
  readonly rooms: Map<string, Member>;
  /** When the socket first stayed backed up, 0 while it keeps up. */
  slowSince: number;
  /** Characters sent since the buffer was last checked. */
  unchecked: number;
  /** Set once the client is disconnected; late work for it is dropped. */
  closed: boolean;
  /**
   * Who wrote this connection's messages, beyond the display name (see
   * `authorKey`): the account, or a digest of a guest's secret token. Names
   * of guests are reused.
   */
  readonly author?: string;
}

/** A client's membership in one room. */
interface Member {
  client: Client;
  /** Messages held while the join replays history; null once live. */
  pending: ChatMessage[] | null;
}

interface RoomState {
  members: Set<Member>;
  /** Id of the last message delivered here; -1 until read from the store. */
  lastId: number;
  /** Messages that arrived ahead of a gap, or before lastId was known. */
  held: Map<number, ChatMessage>;
  gapTimer: ReturnType<typeof setTimeout> | undefined;
  /** Who is here, and what the room's clients were told. */
  presence: RoomPresence;
  /** A pending full presence check, coalescing bursts of presence events. */
  presenceTimer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Presence events within this long are checked once. Joins and leaves reach
 * clients at once as deltas; the full list goes out only when it differs
 * from what they were told (e.g. an instance crashed), so a room of N users
 * filling up costs O(N²) bytes, not O(N³).
 */
const PRESENCE_CHECK_MS = 300;

/** Sweeps (of 1 s) between full presence checks of every room. */
const PRESENCE_RECHECK_TICKS = 5;

/** How many of the messages a resuming client holds are checked for edits. */
const CHANGES_WINDOW = 200;

/** Messages read from the store at a time when a join replays history. */
const REPLAY_PAGE = 200;

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

/** Most messages a joining client may have held while its replay runs. */
const MAX_PENDING = 10_000;

/** Local clients and rooms, and in-order delivery to them. */
export class Hub {
  /** This hub's counters and gauges. */
  readonly metrics: Metrics;
  readonly #clients = new Set<Client>();
  readonly #rooms = new Map<string, RoomState>();
  readonly #typing: Typing;
  #ticks = 0;
  /** Logs connections, joins, leaves and messages (see `flow_log.ts`). */
  readonly flow: FlowLog;
  readonly #o: Required<Omit<HubOptions, "metrics" | "flow">>;
  readonly #sweep: ReturnType<typeof setInterval>;
  #nextId = 1;
  #busDown = false;

  /** Creates a hub with no clients. */
  constructor(options: HubOptions) {
    this.#o = {
      ...options,
      gapWaitMs: options.gapWaitMs ?? 250,
      now: options.now ?? Date.now,
      log: options.log ?? logger("hub"),
    };
    this.metrics = options.metrics ?? new Metrics();
    this.flow = options.flow ??
      new FlowLog(logger("flow"), { now: this.#o.now });
    this.#typing = new Typing(
      options.typingTtlMs,
      (room, user, typing) =>
        this.#toRoom(room, { type: "typing", room, user, typing }, user),
    );
    this.#o.bus.subscribe((event) => this.#onBus(event));
    this.#sweep = setInterval(() => {
      this.#sweepSlow();
      // The bus can't reach other instances: their messages are in the store.
      const degraded = this.#o.bus.degraded?.() ?? false;
      if (degraded !== this.#busDown) {
        this.#busDown = degraded;
        if (degraded) this.flow.busDown(this.#o.bus.constructor.name);
        else this.flow.busUp(this.#o.bus.constructor.name);
      }
      if (degraded) {
        for (const [room, state] of this.#rooms) {
          if (state.members.size > 0) this.#fillGap(room, state, true);
        }
      }
      // Presence can change with no event (an instance died): look again now and then.
      if (++this.#ticks % PRESENCE_RECHECK_TICKS === 0) {
        for (const room of this.#rooms.keys()) this.#onPresence(room);
      }
    }, 1000);
  }

  /** Registers a connected socket. */
  connect(
    socket: Socket,
    user: PresenceUser,
    format: WireFormat,
    author?: string,
  ): Client {
    const client: Client = {
      id: this.#nextId++,
      user,
      format,
      socket,
      rooms: new Map(),
      slowSince: 0,
      unchecked: 0,
      closed: false,
      author,
    };
    this.#clients.add(client);
    this.metrics.connections.set(this.#clients.size);
    return client;
  }

  /** Removes a client from every room; call when its socket closes. */
  disconnect(client: Client): void {
    if (!this.#clients.delete(client)) return;
    client.closed = true;
    for (const room of [...client.rooms.keys()]) this.leave(client, room);
    this.metrics.connections.set(this.#clients.size);
  }

  /** Closes a client's socket and removes it at once. */
  drop(client: Client, code: number, reason: string): void {
    try {
      client.socket.close(code, reason);
    } catch { /* already closing */ }
    this.disconnect(client);
  }

  /** Live clients, for shutdown and metrics. */
  get clients(): ReadonlySet<Client> {
    return this.#clients;
  }

  /** Whether a user name has a live connection here. */
  isOnline(name: string): boolean {
    for (const c of this.#clients) if (c.user.name === name) return true;
    return false;
  }

  /**
   * Joins a room. With `since`, replays every stored message after it before
   * live ones, with no gap and no repeat; says `gap` when retention removed
   * some of them.
   */
  async join(client: Client, room: string, since?: number): Promise<void> {
    // A socket that closed while its join was on the way must not haunt the room.
    if (client.closed) return;
    if (client.rooms.has(room)) this.leave(client, room, false);
    const state = this.#room(room);
    const member: Member = { client, pending: [] };
    state.members.add(member);
    client.rooms.set(room, member);
    this.flow.joined(client, room);
    const firstHere = state.presence.add(client.user);
    if (firstHere) {
      await this.#o.bus.setPresence(room, this.localPresence(room));
    }
    try {
      await this.#ready(room, state);
      const upTo = state.lastId;
      if (client.format === "v1") {
        const users = await this.#o.bus.presence(room);
        state.presence.seed(users);
        this.#send(
          client,
          frameData({ type: "joined", room, users, lastId: upTo }),
        );
        if (since !== undefined && since > 0) {
          await this.#replayChanges(client, room, since);
        }
        if (since !== undefined && since < upTo) {
          await this.#replay(client, room, since, upTo);
        }
      }
      if (client.closed || client.rooms.get(room) !== member) return;
      const held = member.pending ?? [];
      member.pending = null;
      for (const m of held) if (m.id > upTo) this.#sendMessage(client, m);
    } finally {
      if (member.pending) member.pending = null;
    }
    if (firstHere) {
      await this.#o.bus.publish({ kind: "joined", room, user: client.user });
    }
  }

  /**
   * Edits and deletions the client may have missed among the messages it
   * holds: the latest {@link CHANGES_WINDOW} up to `since` are checked.
   */
  async #replayChanges(
    client: Client,
    room: string,
    since: number,
  ): Promise<void> {
    const from = Math.max(0, since - CHANGES_WINDOW);
    for (const m of await this.#o.store.range(room, from, since)) {
      if (m.deleted) {
        this.#send(client, frameData({ type: "deleted", room, id: m.id }));
      } else if (m.edited) {
        this.#send(
          client,
          frameData({ type: "edited", room, id: m.id, text: m.text }),
        );
      }
    }
  }

  async #replay(
    client: Client,
    room: string,
    since: number,
    upTo: number,
  ): Promise<void> {
    const oldest = await this.#o.store.oldestId(room);
    if (since + 1 < oldest) {
      this.#send(
        client,
        frameData({ type: "gap", room, since, oldestId: oldest }),
      );
    }
    // Page by page, letting the socket drain in between, so a resume from
    // far back holds one page in memory, not the whole history.
    for (let from = since; from < upTo && !client.closed;) {
      const to = Math.min(upTo, from + REPLAY_PAGE);
      for (const m of await this.#o.store.range(room, from, to)) {
        this.#sendMessage(client, m);
      }
      from = to;
      while (
        !client.closed &&
        client.socket.bufferedAmount > this.#o.slowClientBytes
      ) {
        // The sweep drops the client if it never drains.
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Leaves a room; the last connection of a user announces it. */
  leave(client: Client, room: string, announce = true): void {
    const member = client.rooms.get(room);
    const state = this.#rooms.get(room);
    if (!member || !state) return;
    client.rooms.delete(room);
    state.members.delete(member);
    // A closing connection's rooms go with its "disconnected" line.
    if (announce && !client.closed) this.flow.left(client, room);
    if (state.presence.remove(client.user.name)) {
      const bus = this.#o.bus;
      bus.setPresence(room, this.localPresence(room))
        .then(() =>
          announce
            ? bus.publish({ kind: "left", room, user: client.user })
            : undefined
        )
        .catch((e) =>
          this.#o.log.warn("announcing a leave failed: {error}", {
            error: String(e),
          })
        );
    }
    if (state.members.size === 0) {
      clearTimeout(state.gapTimer);
      clearTimeout(state.presenceTimer);
      this.#rooms.delete(room);
    }
  }

  /** Users connected here in a room. */
  localPresence(room: string): PresenceUser[] {
    const state = this.#rooms.get(room);
    return state ? state.presence.local() : [];
  }

  /** Sends a frame to one client. */
  sendFrame(client: Client, frame: ServerFrame): void {
    this.#send(client, frameData(frame));
  }

  /** Sends a frame to every v1 client, in every room or none. */
  sendToAll(frame: ServerFrame): void {
    const data = frameData(frame);
    for (const c of this.#clients) if (c.format === "v1") this.#send(c, data);
  }

  /** Closes every socket with `code`, for shutdown. */
  closeAll(code: number, reason: string): void {
    for (const c of [...this.#clients]) this.drop(c, code, reason);
  }

  /** Stops timers. */
  close(): void {
    clearInterval(this.#sweep);
    this.flow.close();
    this.#typing.close();
    for (const s of this.#rooms.values()) {
      clearTimeout(s.gapTimer);
      clearTimeout(s.presenceTimer);
    }
  }

  #room(room: string): RoomState {
    let state = this.#rooms.get(room);
    if (!state) {
      state = {
        members: new Set(),
        lastId: -1,
        held: new Map(),
        gapTimer: undefined,
        presence: new RoomPresence(),
        presenceTimer: undefined,
      };
      this.#rooms.set(room, state);
    }
    return state;
  }

  async #ready(room: string, state: RoomState): Promise<void> {
    if (state.lastId >= 0) return;
    const lastId = await this.#o.store.lastId(room);
    if (state.lastId >= 0) return;
    state.lastId = lastId;
    this.#flushHeld(room, state);
  }

  #onBus(event: BusEvent): void {
    switch (event.kind) {
      case "message":
        return this.#deliver(event.message);
      case "typing":
        return this.#typing.set(event.room, event.user, event.typing);
      case "presence":
        return this.#onPresence(event.room);
      case "joined":
      case "left":
        return this.#notice(event.room, event.user, event.kind);
      case "edited":
        return this.#toRoom(event.room, {
          type: "edited",
          room: event.room,
          id: event.id,
          text: event.text,
        });
      case "deleted":
        return this.#toRoom(event.room, {
          type: "deleted",
          room: event.room,
          id: event.id,
        });
      case "room":
        return this.sendToAll({
          type: "room",
          room: { id: event.room, name: event.room, users_count: 0 },
        });
      case "room_deleted":
        return this.#onRoomDeleted(event.room);
      case "kick":
        for (const c of [...this.#clients]) {
          if (c.user.name === event.user && c.rooms.has(event.room)) {
            this.leave(c, event.room);
            if (c.format === "v1") {
              this.sendFrame(c, {
                type: "left",
                room: event.room,
                reason: "kicked",
              });
            } else {this.drop(
                c,
                CLOSE.policy,
                "Removed from the room by a moderator",
              );}
          }
        }
        return;
      case "resync":
        for (const [room, state] of this.#rooms) {
          this.#fillGap(room, state, true);
          this.#onPresence(room);
        }
        return;
    }
  }

  /** A room was deleted: its members are told and leave it. */
  #onRoomDeleted(room: string): void {
    for (const c of [...this.#clients]) {
      if (!c.rooms.has(room)) continue;
      this.leave(c, room, false);
      if (c.format === "v1") {
        this.sendFrame(c, { type: "left", room, reason: "deleted" });
      } else this.drop(c, CLOSE.policy, "The room was deleted");
    }
    this.sendToAll({ type: "room_deleted", room });
  }

  /** In-order, exactly-once delivery of one room message. */
  #deliver(message: ChatMessage): void {
    const state = this.#rooms.get(message.room);
    if (!state) return;
    if (state.lastId < 0 || message.id > state.lastId + 1) {
      if (message.id > state.lastId) state.held.set(message.id, message);
      if (state.lastId >= 0) this.#scheduleGapFill(message.room, state);
      return;
    }
    if (message.id <= state.lastId) return;
    this.#fanOut(state, message);
    this.#flushHeld(message.room, state);
  }

  #flushHeld(room: string, state: RoomState): void {
    for (const id of [...state.held.keys()]) {
      if (id <= state.lastId) state.held.delete(id);
    }
    let next: ChatMessage | undefined;
    while ((next = state.held.get(state.lastId + 1))) {
      state.held.delete(next.id);
      this.#fanOut(state, next);
    }
    if (state.held.size > 0) this.#scheduleGapFill(room, state);
  }

  #scheduleGapFill(room: string, state: RoomState): void {
    if (state.gapTimer !== undefined) return;
    state.gapTimer = setTimeout(() => {
      state.gapTimer = undefined;
      this.#fillGap(room, state, false);
    }, this.#o.gapWaitMs);
  }

  /** Reads missing messages from the store: after a gap, or after the bus was down. */
  #fillGap(room: string, state: RoomState, toEnd: boolean): void {
    if (state.lastId < 0) return;
    // The missing message may have arrived while the timer ran.
    if (!toEnd && state.held.size === 0) return;
    const upTo = toEnd ? undefined : Math.max(...state.held.keys()) - 1;
    this.#o.store.range(room, state.lastId, upTo).then((missing) => {
      if (this.#rooms.get(room) !== state) return;
      for (const m of missing) if (m.id > state.lastId) state.held.set(m.id, m);
      this.#flushHeld(room, state);
    }).catch((e) =>
      this.#o.log.error("filling a gap in {room} failed: {error}", {
        room,
        error: String(e),
      })
    );
  }

  #fanOut(state: RoomState, message: ChatMessage): void {
    state.lastId = message.id;
    this.#typing.stop(message.room, message.user);
    let v1: string | undefined,
      room: string | undefined,
      seed: string | undefined;
    let n = 0;
    for (const member of state.members) {
      if (member.pending) {
        if (member.pending.length >= MAX_PENDING) {
          this.drop(member.client, CLOSE.tryAgain, "Too far behind; reconnect");
        } else member.pending.push(message);
        continue;
      }
      const c = member.client;
      // Serialized once per format, not per recipient.
      const data = c.format === "v1"
        ? (v1 ??= messageData("v1", message))
        : c.format === "room"
        ? (room ??= messageData("room", message))
        : (seed ??= messageData("seed", message));
      this.#send(c, data);
      n++;
    }
    this.metrics.deliveries.inc(n);
  }

  #sendMessage(client: Client, m: ChatMessage): void {
    this.#send(client, messageData(client.format, m));
  }

  #send(client: Client, data: string): void {
    const socket = client.socket;
    if (client.closed || socket.readyState !== 1) return;
    // Asking a socket for its buffer costs a call into the runtime, so a
    // client keeping up is asked once per eighth of the limit sent, not on
    // every frame; one already behind is asked every time.
    client.unchecked += data.length;
    if (
      client.slowSince === 0 &&
      client.unchecked < this.#o.slowClientBytes / 8
    ) {
      socket.send(data);
      return;
    }
    client.unchecked = 0;
    if (socket.bufferedAmount > this.#o.slowClientBytes) {
      const now = this.#o.now();
      if (client.slowSince === 0) client.slowSince = now;
      else if (
        now - client.slowSince > this.#o.slowClientGraceMs ||
        socket.bufferedAmount > 8 * this.#o.slowClientBytes
      ) {
        return this.#dropSlow(client);
      }
    } else client.slowSince = 0;
    socket.send(data);
  }

  #sweepSlow(): void {
    const now = this.#o.now();
    for (const c of this.#clients) {
      if (c.slowSince === 0) continue;
      if (c.socket.bufferedAmount <= this.#o.slowClientBytes) c.slowSince = 0;
      else if (now - c.slowSince > this.#o.slowClientGraceMs) this.#dropSlow(c);
    }
  }

  #dropSlow(client: Client): void {
    this.flow.slowDropped(client, client.socket.bufferedAmount);
    this.metrics.slowDropped.inc();
    this.drop(client, CLOSE.tryAgain, "Too slow to keep up; reconnect");
  }

  #toRoom(room: string, frame: ServerFrame, except?: string): void {
    const state = this.#rooms.get(room);
    if (!state) return;
    const data = frameData(frame);
    for (const m of state.members) {
      if (m.client.format === "v1" && m.client.user.name !== except) {
        this.#send(m.client, data);
      }
    }
  }

  #notice(room: string, who: PresenceUser, kind: "joined" | "left"): void {
    const state = this.#rooms.get(room);
    if (!state) return;
    const user = who.name;
    state.presence.told(who, kind);
    const v1 = frameData(
      kind === "joined"
        ? { type: "user_joined", room, user, guest: who.guest }
        : { type: "user_left", room, user },
    );
    const legacy = joinLeaveLine(user, kind, room);
    for (const m of state.members) {
      if (m.client.format === "v1") this.#send(m.client, v1);
      else if (m.client.format === "room") this.#send(m.client, legacy);
    }
  }

  /** Checks presence soon, and tells the room the full list if it changed. */
  #onPresence(room: string): void {
    const state = this.#rooms.get(room);
    if (!state || state.presenceTimer !== undefined) return;
    state.presenceTimer = setTimeout(() => {
      state.presenceTimer = undefined;
      if (this.#rooms.get(room) !== state) return;
      this.#o.bus.presence(room).then((users) => {
        if (!state.presence.update(users)) return;
        this.#toRoom(room, { type: "presence", room, users });
      }).catch((e) =>
        this.#o.log.warn("reading presence failed: {error}", {
          error: String(e),
        })
      );
    }, PRESENCE_CHECK_MS);
  }
}
