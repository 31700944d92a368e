/**
 * Pins and topics, a room's moderators' notes: its owner (creator) or an
 * admin pins messages (at most `MAX_PINS`, a list per room) and sets the
 * room's topic (one line, at most `MAX_TOPIC_LENGTH` characters). Changes
 * are stored, then sent to the room's subscribers on every instance
 * (`pinned`, `unpinned`, `topic`); a `topic` change also refreshes every
 * instance's room cache, so `welcome` and the directory show it. Deleting
 * a pinned message unpins it; an edit reaches pinned lists as the room's
 * `edited` frame.
 *
 * @module
 */
import type { Bus } from "@/lib/server/bus/bus.ts";
import type { Client } from "@/lib/server/realtime/hub.ts";
import type { Pin, PresenceUser, ServerFrame } from "@/lib/shared/protocol.ts";
import { MAX_PINS, MAX_TOPIC_LENGTH } from "@/lib/shared/reactions.ts";
import { cleanText } from "@/lib/shared/text.ts";
import type { Store } from "@/lib/server/store/store.ts";
import { ChatError } from "./chat_error.ts";

/** What {@link Pins} needs from the chat around it. */
export interface PinsOptions {
  store: Store;
  bus: Bus;
  /** Throws `forbidden` unless the client may read the room. */
  mayRead: (client: Client, room: string) => Promise<void>;
  /** May `user` moderate `room` (its owner, or an admin)? */
  canModerate: (user: PresenceUser, room: string) => Promise<boolean>;
}

/** Pinning, unpinning, listing pins, and setting topics. */
export class Pins {
  readonly #o: PinsOptions;
  /**
   * Rooms whose list sockets here asked for, with what it held when last
   * sent (see {@link fingerprint}): after a resync only those are read, and
   * sent only if changed.
   */
  readonly #held = new Map<string, string>();

  /** Creates the rules over the store and bus. */
  constructor(options: PinsOptions) {
    this.#o = options;
  }

  /** Pins message `id` of `room`, as its moderator; the room gets `pinned`. */
  async pin(client: Client, room: string, id: number): Promise<void> {
    await this.#moderator(client, room, "pin messages");
    const by = client.user.name;
    const outcome = await this.#o.store.pins.pin(room, id, by);
    if (outcome === "not_found") {
      throw new ChatError("not_found", `No message ${id} in ${room}`);
    }
    if (outcome === "limit") {
      throw new ChatError(
        "pin_limit",
        `${room} has ${MAX_PINS} pinned messages already: unpin one first`,
      );
    }
    if (outcome === "present") return;
    const message = await this.#o.store.get(room, id);
    const stored = (await this.#o.store.pins.list(room)).find((p) =>
      p.id === id
    );
    if (!message || !stored) return;
    await this.#toRoom(room, {
      type: "pinned",
      room,
      pin: { message, by: stored.by, ts: stored.ts },
    });
  }

  /** Unpins message `id` of `room`, as its moderator; the room gets `unpinned`. */
  async unpin(client: Client, room: string, id: number): Promise<void> {
    await this.#moderator(client, room, "unpin messages");
    if (!(await this.#o.store.pins.unpin(room, id))) {
      throw new ChatError("not_found", `Message ${id} is not pinned`);
    }
    await this.#toRoom(room, { type: "unpinned", room, id });
  }

  /**
   * Message `id` of `room` was deleted: its pin, if any, goes with it (it
   * counts towards `MAX_PINS` no more) and the room gets `unpinned`, so
   * pinned lists open anywhere drop it.
   */
  async deleted(room: string, id: number): Promise<void> {
    if (await this.#o.store.pins.unpin(room, id)) {
      await this.#toRoom(room, { type: "unpinned", room, id });
    }
  }

  /** A room's pinned messages, newest pin first (deleted ones left out). */
  async list(client: Client, room: string): Promise<ServerFrame> {
    await this.#o.mayRead(client, room);
    const frame = await this.#frame(room);
    this.#held.set(room, fingerprint(frame));
    return frame;
  }

  /**
   * After the bus may have lost pin changes: `room`'s `pins` frame as
   * stored now if sockets here asked for its list and it is not the list
   * they were last sent; else undefined (nobody here holds it, or it is
   * unchanged).
   */
  async refreshed(room: string): Promise<ServerFrame | undefined> {
    const held = this.#held.get(room);
    if (held === undefined) return undefined;
    const frame = await this.#frame(room);
    const now = fingerprint(frame);
    if (now === held) return undefined;
    this.#held.set(room, now);
    return frame;
  }

  async #frame(room: string): Promise<PinsFrame> {
    const stored = await this.#o.store.pins.list(room);
    const messages = await Promise.all(
      stored.map((p) => this.#o.store.get(room, p.id)),
    );
    const pins: Pin[] = [];
    stored.forEach((p, i) => {
      const message = messages[i];
      if (message && !message.deleted) {
        pins.push({ message, by: p.by, ts: p.ts });
      }
    });
    return { type: "pins", room, pins };
  }

  /**
   * Sets `room`'s topic ("" clears it), as its moderator; the room gets
   * `topic`. One line of text, at most `MAX_TOPIC_LENGTH` characters.
   */
  async setTopic(client: Client, room: string, raw: string): Promise<void> {
    await this.#moderator(client, room, "set its topic");
    const topic = cleanTopic(raw);
    if (!(await this.#o.store.setTopic(room, topic))) {
      throw new ChatError("no_such_room", `No such room: ${room}`);
    }
    await this.#toRoom(room, {
      type: "topic",
      room,
      ...(topic ? { topic } : {}),
      by: client.user.name,
    });
  }

  /** Throws unless the client may read `room` and moderates it. */
  async #moderator(client: Client, room: string, what: string): Promise<void> {
    await this.#o.mayRead(client, room);
    if (!(await this.#o.canModerate(client.user, room))) {
      throw new ChatError(
        "forbidden",
        `Only the room's owner or a moderator may ${what}`,
      );
    }
  }

  #toRoom(room: string, frame: ServerFrame): Promise<void> {
    return this.#o.bus.publish({ kind: "room_frame", room, frame });
  }
}

/** A `pins` frame. */
type PinsFrame = Extract<ServerFrame, { type: "pins" }>;

/** What a `pins` frame lists: each pin's message, pin time and text. */
function fingerprint(frame: PinsFrame): string {
  return JSON.stringify(
    frame.pins.map((p) => [p.message.id, p.ts, p.message.text]),
  );
}

/** A topic as stored: NFC, one line, trimmed; undefined for none. */
export function cleanTopic(raw: string): string | undefined {
  const trimmed = raw.trim();
  if (trimmed === "") return undefined;
  if (/[\n\r]/.test(trimmed)) {
    throw new ChatError("invalid_text", "Invalid topic: one line only");
  }
  const clean = cleanText(trimmed);
  if (!clean.ok) {
    if (clean.problem === "empty") return undefined;
    throw new ChatError("invalid_text", clean.message.replace("text", "topic"));
  }
  if (clean.text.length > MAX_TOPIC_LENGTH) {
    throw new ChatError(
      "text_too_long",
      `Topic too long: ${clean.text.length} characters, the limit is ${MAX_TOPIC_LENGTH}`,
    );
  }
  return clean.text;
}
