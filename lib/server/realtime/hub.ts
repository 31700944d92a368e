/**
 * The hub: this instance's connected clients and their rooms (the
 * registry), and fan-out of what the bus brings to them.
 *
 * The roles around it live beside it: one room's members and fan-out in
 * `room.ts`, in-order exactly-once delivery in `sequencer.ts`, history
 * replay on join in `replay.ts`, slow-reader accounting in
 * `backpressure.ts`, who is here in `presence.ts`, typing notices in
 * `typing.ts`, and the frames of each wire format in `wire.ts`. (A little
 * over 300 lines: `join`, with its hand-off from replay to live delivery,
 * is one sequence that reads best whole.)
 *
 * @module
 */
import {
  CLOSE,
  type PresenceUser,
  type ServerFrame,
} from "@/lib/shared/protocol.ts";
import { Typing } from "./typing.ts";
import { type Member, Room } from "./room.ts";
import { replay } from "./replay.ts";
import { Outflow, type Socket } from "./backpressure.ts";
import { frameData, messageData, type WireFormat } from "./wire.ts";
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
}

/** Sweeps (of 1 s) between full presence checks of every room. */
const PRESENCE_RECHECK_TICKS = 5;

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

/** Local clients and rooms, and fan-out to them. */
export class Hub {
  /** This hub's counters and gauges. */
  readonly metrics: Metrics;
  readonly #clients = new Set<Client>();
  readonly #rooms = new Map<string, Room>();
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
        this.#rooms.get(room)?.toMembers(
          { type: "typing", room, user, typing },
          user,
        ),
    );
    this.#o.bus.subscribe((event) => this.#onBus(event));
    this.#sweep = setInterval(() => {
      for (const c of this.#clients) if (!c.out.keepsUp()) this.#dropSlow(c);
      // The bus can't reach other instances: their messages are in the store.
      const degraded = this.#o.bus.degraded?.() ?? false;
      if (degraded !== this.#busDown) {
        this.#busDown = degraded;
        if (degraded) this.flow.busDown(this.#o.bus.constructor.name);
        else this.flow.busUp(this.#o.bus.constructor.name);
      }
      if (degraded) {
        for (const room of this.#rooms.values()) {
          if (room.members.size > 0) room.sequencer.catchUp();
        }
      }
      // Presence can change with no event (an instance died): look again now and then.
      if (++this.#ticks % PRESENCE_RECHECK_TICKS === 0) {
        for (const room of this.#rooms.values()) room.checkPresence();
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
      out: new Outflow(socket, this.#o),
      rooms: new Map(),
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
      await this.#o.bus.setPresence(room, state.presence.local());
    }
    try {
      await state.sequencer.ready();
      const upTo = state.sequencer.lastId;
      if (client.format === "v1") {
        const users = await this.#o.bus.presence(room);
        state.presence.assume(users);
        this.#send(
          client,
          frameData({ type: "joined", room, users, lastId: upTo }),
        );
        if (since !== undefined) {
          await replay(
            this.#o.store,
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
        if (m.id > upTo) this.#send(client, messageData(client.format, m));
      }
    } finally {
      if (member.pending) member.pending = null;
    }
    if (firstHere) {
      await this.#o.bus.publish({ kind: "joined", room, user: client.user });
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
      bus.setPresence(room, state.presence.local())
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
      state.close();
      this.#rooms.delete(room);
    }
  }

  /** Sends a frame to one client. */
  sendFrame(client: Client, frame: ServerFrame): void {
    this.#send(client, frameData(frame));
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
    for (const room of this.#rooms.values()) room.close();
  }

  #room(id: string): Room {
    let room = this.#rooms.get(id);
    if (!room) {
      room = new Room({
        id,
        source: this.#o.store,
        bus: this.#o.bus,
        send: (client, data) => this.#send(client, data),
        drop: (client, code, reason) => this.drop(client, code, reason),
        delivering: (m) => this.#typing.stop(m.room, m.user),
        metrics: this.metrics,
        gapWaitMs: this.#o.gapWaitMs,
        log: this.#o.log,
      });
      this.#rooms.set(id, room);
    }
    return room;
  }

  #onBus(event: BusEvent): void {
    switch (event.kind) {
      case "message":
        return this.#rooms.get(event.message.room)?.sequencer.push(
          event.message,
        );
      case "typing":
        return this.#typing.set(event.room, event.user, event.typing);
      case "presence":
        return this.#rooms.get(event.room)?.checkPresence();
      case "joined":
      case "left":
        return this.#rooms.get(event.room)?.notice(event.user, event.kind);
      case "edited":
        return this.#rooms.get(event.room)?.toMembers({
          type: "edited",
          room: event.room,
          id: event.id,
          text: event.text,
        });
      case "deleted":
        return this.#rooms.get(event.room)?.toMembers({
          type: "deleted",
          room: event.room,
          id: event.id,
        });
      case "room":
        return this.#toAll({
          type: "room",
          room: { id: event.room, name: event.room, users_count: 0 },
        });
      case "room_deleted":
        return this.#onRoomDeleted(event.room);
      case "kick":
        return this.#kick(event.room, event.user);
      case "resync":
        for (const room of this.#rooms.values()) {
          room.sequencer.catchUp();
          room.checkPresence();
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
    this.#toAll({ type: "room_deleted", room });
  }

  /** Removes `user`'s connections here from `room`, as a moderator asked. */
  #kick(room: string, user: string): void {
    for (const c of [...this.#clients]) {
      if (c.user.name !== user || !c.rooms.has(room)) continue;
      this.leave(c, room);
      if (c.format === "v1") {
        this.sendFrame(c, { type: "left", room, reason: "kicked" });
      } else {
        this.drop(c, CLOSE.policy, "Removed from the room by a moderator");
      }
    }
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
