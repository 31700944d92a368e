/**
 * Which message ids of a room are stored membership events ("mina and 2
 * others joined"), so unread counts leave them out: ids are gapless, and
 * `unread` is the messages after one's read mark less the events among
 * them. Kept per room in memory: events written anywhere arrive on the bus
 * ({@link EventIds.note}); what came before this instance looked is read
 * from the store once, as far back as a question needs (each message at
 * most once per room). Events are few (one per room per window however
 * many join), so a room's list stays short.
 *
 * @module
 */
import type { ChatMessage } from "@/lib/shared/protocol.ts";

/** Options of {@link EventIds}. */
export interface EventIdsOptions {
  /** The room's messages with `after < id <= upTo` (to the newest without it). */
  range: (room: string, after: number, upTo?: number) => Promise<ChatMessage[]>;
}

interface Known {
  /** Every event with an id above this is in `ids`. */
  from: number;
  /** Event ids, ascending. */
  ids: number[];
  /** A read of older messages in flight. */
  loading: Promise<void> | null;
}

/** The membership-event ids of each room, as far back as asked. */
export class EventIds {
  readonly #o: EventIdsOptions;
  readonly #rooms = new Map<string, Known>();

  /** Creates an empty index over `options.range`. */
  constructor(options: EventIdsOptions) {
    this.#o = options;
  }

  /** A message was stored somewhere (it came on the bus). */
  note(m: ChatMessage): void {
    if (!m.event) return;
    const known = this.#rooms.get(m.room);
    if (known) insert(known.ids, m.id);
  }

  /** How many membership events `room` has with `after < id <= upTo`. */
  async count(room: string, after: number, upTo: number): Promise<number> {
    if (upTo <= after) return 0;
    let known = this.#rooms.get(room);
    if (!known) {
      // Noted from now on; what is stored already is read below.
      known = { from: Infinity, ids: [], loading: null };
      this.#rooms.set(room, known);
    }
    while (known.from > after) {
      if (!known.loading) known.loading = this.#load(room, known, after);
      await known.loading;
    }
    return below(known.ids, upTo) - below(known.ids, after);
  }

  /** Forgets a deleted room. */
  forget(room: string): void {
    this.#rooms.delete(room);
  }

  async #load(room: string, known: Known, after: number): Promise<void> {
    try {
      const upTo = Number.isFinite(known.from) ? known.from : undefined;
      for (const m of await this.#o.range(room, after, upTo)) {
        if (m.event) insert(known.ids, m.id);
      }
      known.from = Math.min(known.from, after);
    } finally {
      known.loading = null;
    }
  }
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
  const at = below(ids, id);
  if (at > 0 && ids[at - 1] === id) return;
  ids.splice(at, 0, id);
}
