/**
 * Read state on the server: each member's last-read message id per room,
 * only ever moving forward, and the mentions recorded for them. A change
 * (a `read` frame, or one's own `send`) goes to every socket of that member
 * key on every instance as a `read` frame, so reading in one tab clears the
 * badge in the others and on the person's other devices.
 *
 * @module
 */
import type { ServerFrame } from "@/lib/shared/protocol.ts";
import type { Store } from "@/lib/server/store/store.ts";
import { logger } from "@/lib/server/log.ts";
import { fold } from "@/lib/shared/names.ts";
import { resolveMentions } from "./mentions.ts";
import { HERE, mentionedNames } from "@/lib/shared/mentions.ts";

/** A `read` frame. */
export type ReadFrame = Extract<ServerFrame, { type: "read" }>;

/** Options of {@link ReadState}. */
export interface ReadStateOptions {
  /** Where read state and mentions are kept. */
  store: Store;
  /** The newest message id of a room. */
  lastId: (room: string) => Promise<number>;
  /**
   * The unread messages and mentions of a member in a room between its
   * read mark and the room's newest id.
   */
  counts: (
    key: string,
    room: string,
    lastRead: number,
    lastId: number,
  ) => Promise<{ unread: number; mentions: number }>;
  /** Sends a frame to every socket of a member key, on every instance. */
  toMember: (key: string, frame: ServerFrame) => unknown;
  /**
   * The display names of the people online (not away) in a room, for
   * `@here`; without it `@here` mentions only a member named "here".
   */
  onlineNames?: (room: string) => string[];
}

/** Read state and mentions. */
export class ReadState {
  readonly #o: ReadStateOptions;
  readonly #log = logger("chat");

  /** Creates the read-state rules over `options.store`. */
  constructor(options: ReadStateOptions) {
    this.#o = options;
  }

  /**
   * Marks `room` read up to `id` (at most its newest message) for the
   * member `key`, and tells every socket of that member.
   */
  async read(key: string, room: string, id: number): Promise<ReadFrame> {
    const lastId = await this.#o.lastId(room);
    const stored = await this.#o.store.reads.set(
      key,
      room,
      Math.min(id, lastId),
    );
    const frame = await this.#frame(key, room, stored, lastId);
    this.#o.toMember(key, frame);
    return frame;
  }

  /**
   * Records the mentions of members in message `id` (from `key`, who is not
   * counted), before the message is acknowledged: once acked, a mention
   * shows in every count. `@here` mentions every member online (not away)
   * in the room at that moment. Texts without `@` cost nothing. Resolves
   * to the member keys mentioned by name (not those `@here` stood for).
   */
  async mentioned(
    key: string | undefined,
    room: string,
    id: number,
    text: string,
  ): Promise<string[]> {
    const names = mentionedNames(text);
    if (names.length === 0) return [];
    const { store, onlineNames } = this.#o;
    const named = (await resolveMentions(store.members, room, names, {
      particles: true,
    })).filter((k) => k !== key);
    const online = names.includes(HERE) && onlineNames
      ? onlineNames(room).map(fold)
      : [];
    const here = online.length > 0
      ? await resolveMentions(store.members, room, online)
      : [];
    const keys = [...new Set([...named, ...here])].filter((k) => k !== key);
    if (keys.length > 0) await store.reads.mention(room, id, keys);
    return named;
  }

  /**
   * Tells every socket of the member `key` its read state of `room` as
   * stored now (after a mention was recorded for it elsewhere, e.g. a
   * reply in a thread it takes part in).
   */
  async tell(key: string, room: string): Promise<void> {
    const [stored, lastId] = await Promise.all([
      this.#o.store.reads.get(key, [room]),
      this.#o.lastId(room),
    ]);
    const lastRead = stored.get(room) ?? 0;
    this.#o.toMember(key, await this.#frame(key, room, lastRead, lastId));
  }

  async #frame(
    key: string,
    room: string,
    lastRead: number,
    lastId: number,
  ): Promise<ReadFrame> {
    const { unread, mentions } = await this.#o.counts(
      key,
      room,
      lastRead,
      lastId,
    );
    return { type: "read", room, lastRead, unread, lastId, mentions };
  }
}
