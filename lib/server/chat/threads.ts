/**
 * Threads: a reply is a message of the room with the id of the thread's
 * first message (`parent`), so it takes the room's next id and keeps its
 * ordering, replay and exactly-once delivery; the first message carries the
 * thread's summary. Who takes part in a thread (its first message's author,
 * everyone who replied and anyone a reply mentioned) gets each new reply
 * counted as a mention, live on every socket of theirs; a reply shown only
 * in its thread is unread news to them alone (see `quiet_ids.ts`).
 *
 * @module
 */
import type { ChatMessage, ServerFrame } from "@/lib/shared/protocol.ts";
import type { Store } from "@/lib/server/store/store.ts";
import { logger } from "@/lib/server/log.ts";
import { ChatError } from "./chat_error.ts";
import { accountKey } from "./identity.ts";

/** A `thread` frame. */
export type ThreadFrame = Extract<ServerFrame, { type: "thread" }>;

/** Replies a `thread` frame holds unless the client asks for fewer. */
export const THREAD_PAGE = 50;

/**
 * Participants whose sockets are told their new counts at once after a
 * reply; beyond, the mention is recorded and shows at their next count.
 */
const LIVE_PARTICIPANTS = 200;

/** Options of {@link Threads}. */
export interface ThreadsOptions {
  /** Where replies and participants are kept. */
  store: Store;
  /** Tells every socket of a member key its read state of `room` now. */
  tellReadState: (key: string, room: string) => Promise<void>;
  /** Whether `room` is public (anyone may read it). */
  isPublic: (room: string) => Promise<boolean>;
}

/** What a reply refers to. */
export interface ReplyTo {
  /** The id of the thread's first message. */
  parent: number;
  /** Whether the reply shows in the room's timeline too. */
  alsoInRoom?: boolean;
}

/** The rules of threads. */
export class Threads {
  readonly #o: ThreadsOptions;
  readonly #log = logger("chat");

  /** Creates the thread rules over `options.store`. */
  constructor(options: ThreadsOptions) {
    this.#o = options;
  }

  /**
   * The first message of the thread a reply goes to, or throws: it must be
   * a message of `room` that is not deleted, not a membership event and not
   * itself a reply (threads do not nest).
   */
  async root(room: string, parent: number): Promise<ChatMessage> {
    const m = await this.#o.store.get(room, parent);
    if (!m) throw new ChatError("not_found", `No message ${parent} in ${room}`);
    if (m.deleted) {
      throw new ChatError(
        "not_found",
        "The thread's first message was deleted: it takes no more replies",
      );
    }
    if (m.event !== undefined) {
      throw new ChatError(
        "invalid_frame",
        "Invalid field parent: a membership event takes no replies",
      );
    }
    if (m.parent !== undefined) {
      throw new ChatError(
        "invalid_frame",
        `Invalid field parent: ${parent} is a reply; reply to ${m.parent}`,
      );
    }
    return m;
  }

  /**
   * After `reply` to `root` was stored (not a resend), its mentions
   * (`mentioned`, member keys) recorded: everyone taking part in the thread
   * but its sender `key` gets it counted as a mention; then the sender, the
   * first message's author and whoever the reply mentions take part. Those
   * it is news to are told their counts live (a reply shown only in its
   * thread is unread for them alone). Failures are logged: the reply itself
   * is stored and acked.
   */
  async replied(
    key: string | undefined,
    root: ChatMessage,
    reply: ChatMessage,
    mentioned: readonly string[] = [],
  ): Promise<void> {
    const { room } = reply;
    try {
      const before = await this.#o.store.threads.participants(room, root.id);
      const author = await this.#authorOf(root);
      const others = await this.#readers(
        room,
        [...new Set(author ? [...before, author] : before)]
          .filter((k) => k !== key),
      );
      if (others.length > 0) {
        await this.#o.store.reads.mention(room, reply.id, others);
      }
      const joining = [...new Set([key, author, ...mentioned])].filter((
        k,
      ): k is string => k !== undefined && !before.includes(k));
      if (joining.length > 0) {
        await this.#o.store.threads.join(room, root.id, joining);
      }
      const told = [...new Set([...others, ...mentioned])]
        .filter((k) => k !== key);
      await Promise.all(
        told.slice(0, LIVE_PARTICIPANTS).map((k) =>
          this.#o.tellReadState(k, room)
        ),
      );
    } catch (error) {
      this.#log.warn("thread bookkeeping in {room} failed: {error}", {
        room,
        error: String(error),
      });
    }
  }

  /**
   * Those of `keys` who may still read `room`: all of them in a public
   * room; in a private room or DM its members only, so someone removed
   * learns nothing more of its threads.
   */
  async #readers(room: string, keys: string[]): Promise<string[]> {
    if (keys.length === 0 || await this.#o.isPublic(room)) return keys;
    const members = await Promise.all(
      keys.map((k) => this.#o.store.members.get(room, k)),
    );
    return keys.filter((_, i) => members[i] !== null);
  }

  /**
   * A page of the thread of message `id` of `room` (the reader's right to
   * read the room is checked by the caller): the first message as stored
   * now, and up to `limit` replies before the reply `before`.
   */
  async page(
    room: string,
    id: number,
    before?: number,
    limit = THREAD_PAGE,
  ): Promise<ThreadFrame> {
    const root = await this.#o.store.get(room, id);
    if (!root || root.event !== undefined || root.parent !== undefined) {
      throw new ChatError("not_found", `No thread ${id} in ${room}`);
    }
    const page = await this.#o.store.threads.replies(room, id, {
      before,
      limit,
    });
    return {
      type: "thread",
      room,
      id,
      root,
      replies: page.messages,
      hasMore: page.hasMore,
    };
  }

  /** The member key of a message's author, when it can be known. */
  async #authorOf(m: ChatMessage): Promise<string | undefined> {
    if (m.user === "") return undefined;
    if (m.guest) return (await this.#o.store.author(m.room, m.id)) ?? undefined;
    // Account names are unique: an account is known by its name.
    return accountKey(m.user);
  }
}
