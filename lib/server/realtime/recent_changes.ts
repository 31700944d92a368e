/**
 * Recent changes: what this instance's sockets of a room were last told of
 * the room's latest messages (edited or deleted, and their reactions), so
 * that once the bus may have lost events (a `resync`, or while it can't
 * reach the other instances) one read of those messages and one of their
 * reactions tell which changed, and only those are sent, once per room
 * whatever its number of sockets.
 *
 * What the sockets were told is known from what the hub sent them: messages
 * delivered live (in the state they were delivered in), `edited`, `deleted`
 * and `reactions` frames, and the previous catch-up's read. Messages stored
 * before the room had a subscriber here, and not read by a catch-up since,
 * are unknown: their current state is sent once (an edit or deletion, and
 * their reactions, even none).
 *
 * @module
 */
import type {
  ChatMessage,
  MessageReactions,
  Reaction,
  ServerFrame,
} from "@/lib/shared/protocol.ts";
import type { Logger } from "@/lib/server/log.ts";
import { CHANGES_WINDOW } from "./replay.ts";
import { deletedFrame } from "./deleted_frame.ts";

/** Where a catch-up reads the current state of messages. */
export interface ChangeSource {
  /** Stored messages with `after < id <= upTo`, oldest first. */
  range(room: string, after: number, upTo?: number): Promise<ChatMessage[]>;
  /** The reactions of messages `ids` of `room` (those without any left out). */
  reactions(room: string, ids: number[]): Promise<Map<number, Reaction[]>>;
}

/** Options of {@link RecentChanges}. */
export interface RecentChangesOptions {
  /** Where the current state is read. */
  source: ChangeSource;
  /** Sends a frame to the room's subscribers here (none: nothing). */
  send: (room: string, frame: ServerFrame) => void;
  /** Where a failed read is logged. */
  log: Logger;
  /** How many of a room's latest messages are checked; 200 by default. */
  window?: number;
}

/** What the sockets were told of one message. */
interface Told {
  /** {@link fingerprint} of the message; undefined: not known. */
  state?: string;
  /** When `state` was set (see `#clock`). */
  stateAt: number;
  /** The reactions as JSON; undefined: not known. */
  reactions?: string;
  /** When `reactions` was set. */
  reactionsAt: number;
}

/** One room's record. */
interface RoomChanges {
  /**
   * Messages from this id on were told from their start: as {@link PLAIN}
   * with {@link NONE}, unless `told` says otherwise.
   */
  from: number;
  /** The highest id recorded. */
  top: number;
  /** Messages told as something else, or recorded since `from`'s start. */
  told: Map<number, Told>;
  /** The catch-up in flight. */
  running?: Promise<void>;
  /** Set when another catch-up was asked meanwhile: up to this id. */
  again?: number;
}

/** A message neither edited nor deleted. */
const PLAIN = "";
/** No reactions. */
const NONE = "[]";

/** A message's edit state, as one comparable string. */
function fingerprint(m: ChatMessage): string {
  if (m.deleted) return "d";
  return m.edited ? `e${m.text}` : PLAIN;
}

/** What each room's sockets were told of its latest messages, and catch-ups. */
export class RecentChanges {
  readonly #o: RecentChangesOptions;
  readonly #window: number;
  readonly #rooms = new Map<string, RoomChanges>();
  /** Orders records and reads: a record after a read began is newer than it. */
  #clock = 0;
  /** Whether the last catch-up failed (a store outage fails every room: logged once). */
  #failing = false;
  #closed = false;

  /** Creates a record of no room. */
  constructor(options: RecentChangesOptions) {
    this.#o = options;
    this.#window = options.window ?? CHANGES_WINDOW;
  }

  /** Message `m` went to its room's sockets here, in order. */
  delivered(m: ChatMessage): void {
    const r = this.#room(m.room);
    if (m.id < r.from) r.from = m.id;
    const state = fingerprint(m);
    if (state !== PLAIN) this.#set(r, m.id, "state", state);
    else if (m.id > r.top) r.top = m.id;
  }

  /**
   * `frame` went to the sockets of `room` here: an `edited`, `deleted` or
   * `reactions` frame is recorded (others are ignored).
   */
  told(room: string, frame: ServerFrame): void {
    switch (frame.type) {
      case "edited":
        return this.#set(this.#room(room), frame.id, "state", `e${frame.text}`);
      case "deleted":
        return this.#set(this.#room(room), frame.id, "state", "d");
      case "reactions": {
        const r = this.#room(room);
        for (const m of frame.messages) {
          this.#set(r, m.id, "reactions", JSON.stringify(m.reactions));
        }
      }
    }
  }

  /** `room` has no subscribers here any more. */
  forget(room: string): void {
    this.#rooms.delete(room);
  }

  /**
   * Reads the latest messages of `room` up to `upTo` (the last delivered
   * here) and their reactions, and sends its sockets what changed since they
   * were told: an `edited` or `deleted` frame per message, one `reactions`
   * frame for all. A catch-up asked while one runs runs once after it.
   * Never rejects: a failed read is logged.
   */
  catchUp(room: string, upTo: number): Promise<void> {
    const r = this.#room(room);
    if (r.running) {
      r.again = Math.max(r.again ?? 0, upTo);
      return r.running;
    }
    return r.running = this.#run(room, r, upTo);
  }

  /** Stops: nothing more is sent. */
  close(): void {
    this.#closed = true;
    this.#rooms.clear();
  }

  async #run(room: string, r: RoomChanges, upTo: number): Promise<void> {
    try {
      for (;;) {
        await this.#once(room, r, upTo);
        if (r.again === undefined || this.#rooms.get(room) !== r) return;
        upTo = Math.max(upTo, r.again);
        r.again = undefined;
      }
    } catch (error) {
      if (!this.#failing) {
        this.#o.log.warn("catching up changes in {room} failed: {error}", {
          room,
          error: String(error),
        });
      }
      this.#failing = true;
    } finally {
      r.running = undefined;
      r.again = undefined;
    }
  }

  async #once(room: string, r: RoomChanges, upTo: number): Promise<void> {
    if (upTo <= 0 || this.#closed) return;
    const start = ++this.#clock;
    const after = Math.max(0, upTo - this.#window);
    const messages = await this.#o.source.range(room, after, upTo);
    const current = await this.#o.source.reactions(
      room,
      messages.map((m) => m.id),
    );
    this.#failing = false;
    if (this.#closed || this.#rooms.get(room) !== r) return;
    const changed: MessageReactions[] = [];
    for (const m of messages) {
      const was = r.told.get(m.id);
      const since = m.id >= r.from;
      // A record newer than the read is what the sockets hold: kept.
      if (!was || was.stateAt < start) {
        const state = fingerprint(m);
        if (state !== (was?.state ?? (since ? PLAIN : undefined))) {
          // An unknown plain message holds nothing to correct.
          if (m.deleted) {
            // A reply's thread count as stored, when its first message
            // is among those read.
            const root = m.parent === undefined
              ? undefined
              : messages.find((p) => p.id === m.parent);
            this.#o.send(room, deletedFrame(m, root));
          } else if (m.edited) {
            this.#o.send(room, {
              type: "edited",
              room,
              id: m.id,
              text: m.text,
            });
          }
        }
        if (was || state !== PLAIN) this.#set(r, m.id, "state", state);
      }
      if (!was || was.reactionsAt < start) {
        const list = current.get(m.id) ?? [];
        const reactions = JSON.stringify(list);
        if (reactions !== (was?.reactions ?? (since ? NONE : undefined))) {
          changed.push({ id: m.id, reactions: list });
        }
        if (was || reactions !== NONE) {
          this.#set(r, m.id, "reactions", reactions);
        }
      }
    }
    // Every message read is known now; those after `upTo` come live.
    r.from = Math.min(r.from, after + 1);
    if (upTo > r.top) r.top = upTo;
    if (changed.length > 0) {
      this.#o.send(room, { type: "reactions", room, messages: changed });
    }
  }

  #room(room: string): RoomChanges {
    let r = this.#rooms.get(room);
    if (!r) {
      r = { from: Infinity, top: 0, told: new Map() };
      this.#rooms.set(room, r);
    }
    return r;
  }

  #set(
    r: RoomChanges,
    id: number,
    what: "state" | "reactions",
    value: string,
  ): void {
    let told = r.told.get(id);
    if (!told) r.told.set(id, told = { stateAt: 0, reactionsAt: 0 });
    if (what === "state") {
      told.state = value;
      told.stateAt = ++this.#clock;
    } else {
      told.reactions = value;
      told.reactionsAt = ++this.#clock;
    }
    if (id > r.top) r.top = id;
    // Only the window is ever read: older records go, now and then.
    if (r.told.size > 2 * this.#window) {
      for (const old of r.told.keys()) {
        if (old <= r.top - this.#window) r.told.delete(old);
      }
    }
  }
}
