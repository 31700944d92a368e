/**
 * Which message ids of a room are no news to every member, so unread counts
 * leave them out: stored membership events ("mina and 2 others joined"),
 * deleted messages, and replies shown only in their thread (sent without
 * `alsoInRoom`), which are news only to those the reply was recorded for as
 * a mention (the thread's participants, and anyone it names). Ids are
 * gapless, so a reader's `unread` is the messages after its read mark, less
 * the quiet ones among them, plus the quiet replies among its own mentions.
 *
 * Kept per room in memory: messages written anywhere arrive on the bus
 * ({@link QuietIds.note}); what came before this instance looked is read
 * from the store once, as far back as a question needs (each message at
 * most once per room). A count is two binary searches, and a reader's
 * thread news one lookup per mention of theirs: never a scan per member.
 *
 * @module
 */
import type { ChatMessage } from "@/lib/shared/protocol.ts";

/** Options of {@link QuietIds}. */
export interface QuietIdsOptions {
  /** The room's messages with `after < id <= upTo` (to the newest without it). */
  range: (room: string, after: number, upTo?: number) => Promise<ChatMessage[]>;
  /**
   * Messages a room keeps (`HISTORY_LIMIT`): quiet ids older than the
   * newest id less this are let go, as retention lets the messages go.
   * Unbounded without it.
   */
  keep?: number;
}

interface Known {
  /** Every quiet id above this is in `events` and `replies`. */
  from: number;
  /** Membership event ids, ascending. */
  events: number[];
  /** Ids of replies shown only in their thread, ascending. */
  replies: number[];
  /**
   * Ids of deleted messages, ascending; one may be in `events` or
   * `replies` too (a deletion noted before the load that classed it).
   */
  deleted: number[];
  /** A read of older messages in flight. */
  loading: Promise<void> | null;
}

/** Whether a message is a reply shown only in its thread's panel. */
export function threadOnly(m: ChatMessage): boolean {
  return m.parent !== undefined && !m.alsoInRoom;
}

/** The quiet ids of each room, as far back as asked. */
export class QuietIds {
  readonly #o: QuietIdsOptions;
  readonly #rooms = new Map<string, Known>();

  /** Creates an empty index over `options.range`. */
  constructor(options: QuietIdsOptions) {
    this.#o = options;
  }

  /** A message was stored somewhere (it came on the bus). */
  note(m: ChatMessage): void {
    const known = this.#rooms.get(m.room);
    if (!known) return;
    if (m.event) insert(known.events, m.id);
    else if (threadOnly(m)) insert(known.replies, m.id);
    else return;
    this.#trim(known, m.id);
  }

  /** Message `id` of `room` was deleted somewhere (it came on the bus). */
  deleted(room: string, id: number): void {
    const known = this.#rooms.get(room);
    if (!known || has(known.events, id) || has(known.replies, id)) return;
    insert(known.deleted, id);
    this.#trim(known, id);
  }

  /** How many quiet ids of `room` are held in memory. */
  held(room: string): number {
    const known = this.#rooms.get(room);
    return known
      ? known.events.length + known.replies.length + known.deleted.length
      : 0;
  }

  /**
   * How many messages of `room` with `after < id <= upTo` are unread news
   * to a reader: all but the membership events and the replies shown only
   * in their thread, plus those replies among the reader's mentions
   * (`mentioned`, ascending ids above `after`, asked for only when the
   * range holds such replies).
   */
  async unread(
    room: string,
    after: number,
    upTo: number,
    mentioned: () => Promise<readonly number[]>,
  ): Promise<number> {
    if (upTo <= after) return 0;
    const known = await this.#known(room, after);
    const events = between(known.events, after, upTo);
    const replies = between(known.replies, after, upTo);
    let news = upTo - after - events - replies;
    // Deletions are rare: each in the range is looked at.
    for (let i = below(known.deleted, after); i < known.deleted.length; i++) {
      const id = known.deleted[i];
      if (id > upTo) break;
      if (!has(known.events, id) && !has(known.replies, id)) news--;
    }
    if (replies === 0) return news;
    for (const id of await mentioned()) {
      if (id > upTo) break;
      if (id > after && has(known.replies, id)) news++;
    }
    return news;
  }

  /** Forgets a deleted room. */
  forget(room: string): void {
    this.#rooms.delete(room);
  }

  /** The room's quiet ids, complete down to `after`. */
  async #known(room: string, after: number): Promise<Known> {
    let known = this.#rooms.get(room);
    if (!known) {
      // Noted from now on; what is stored already is read below.
      known = {
        from: Infinity,
        events: [],
        replies: [],
        deleted: [],
        loading: null,
      };
      this.#rooms.set(room, known);
    }
    while (known.from > after) {
      if (!known.loading) known.loading = this.#load(room, known, after);
      await known.loading;
    }
    return known;
  }

  async #load(room: string, known: Known, after: number): Promise<void> {
    try {
      const upTo = Number.isFinite(known.from) ? known.from : undefined;
      for (const m of await this.#o.range(room, after, upTo)) {
        if (m.event) insert(known.events, m.id);
        else if (threadOnly(m)) insert(known.replies, m.id);
        else if (m.deleted) insert(known.deleted, m.id);
      }
      known.from = Math.min(known.from, after);
    } finally {
      known.loading = null;
    }
  }

  /**
   * Past twice what a room keeps, the older half of its ids goes (read
   * again from the store, as far as it still has them, should a count
   * need them).
   */
  #trim(known: Known, newest: number): void {
    const keep = this.#o.keep;
    const held = known.events.length + known.replies.length +
      known.deleted.length;
    if (!keep || held <= 2 * keep) return;
    const cutoff = newest - keep;
    known.events.splice(0, below(known.events, cutoff));
    known.replies.splice(0, below(known.replies, cutoff));
    known.deleted.splice(0, below(known.deleted, cutoff));
    known.from = Math.max(known.from, cutoff);
  }
}

/** How many of the ascending `ids` lie in `after < id <= upTo`. */
function between(ids: number[], after: number, upTo: number): number {
  return below(ids, upTo) - below(ids, after);
}

/** Whether the ascending `ids` hold `id`. */
function has(ids: number[], id: number): boolean {
  const at = below(ids, id);
  return at > 0 && ids[at - 1] === id;
}

/** How many of the ascending `ids` are at most `id`. */
function below(ids: number[], id: number): number {
  let lo = 0, hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ids[mid] <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Adds `id` to the ascending `ids` unless present. */
function insert(ids: number[], id: number): void {
  if (!has(ids, id)) ids.splice(below(ids, id), 0, id);
}
