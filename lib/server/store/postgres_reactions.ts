/**
 * Reactions and pins in PostgreSQL (tables of migration 11), both removed
 * with their message by a foreign key. Reaction changes are batched
 * ({@link Batcher}): one transaction per batch locks each message's row
 * (`FOR NO KEY UPDATE`, so instances take turns per message), reads the
 * counts per emoji, applies the rule of `reaction_ops.ts` and writes the net
 * effect as one insert and one delete.
 *
 * @module
 */
import type { Db } from "./postgres.ts";
import type { Guard } from "./postgres_records.ts";
import type { Reaction } from "@/lib/shared/protocol.ts";
import { MAX_PINS, REACTION_NAMES } from "@/lib/shared/reactions.ts";
import type {
  PinRecords,
  ReactionChange,
  ReactionOutcome,
  ReactionRecords,
  StoredPin,
} from "./store.ts";
import { StoreUnavailableError } from "./store.ts";
import { Batcher } from "./batcher.ts";
import { applyReactionChanges, byMessage, pairKey } from "./reaction_ops.ts";
import { begin, type Cancellable } from "./cancellable.ts";

/** Changes per transaction. */
const MAX_BATCH = 500;

/** Reactions in `reactions`. */
export class PgReactions implements ReactionRecords {
  readonly #writes: Batcher<ReactionChange, ReactionOutcome>;

  /** Creates the records over the pool. */
  constructor(
    readonly sql: Db,
    readonly guard: Guard,
    readonly now: () => number = Date.now,
  ) {
    this.#writes = new Batcher(
      (changes) => this.guard(this.#commit(changes)),
      {
        maxItems: MAX_BATCH,
        retryAlone: (error) => !(error instanceof StoreUnavailableError),
      },
    );
  }

  change(change: ReactionChange): Promise<ReactionOutcome> {
    return this.#writes.push(change);
  }

  async summaries(
    room: string,
    ids: number[],
    key?: string,
  ): Promise<Map<number, Reaction[]>> {
    const out = new Map<number, Reaction[]>();
    if (ids.length === 0) return out;
    const rows = await this.guard(this.sql<
      {
        id: number;
        emoji: string;
        count: number;
        users: string[];
        mine: boolean;
      }[]
    >`
      SELECT id, emoji, count(*)::int AS count,
        (array_agg(name ORDER BY ts, member))[1:${REACTION_NAMES}] AS users,
        coalesce(bool_or(member = ${key ?? null}), false) AS mine
      FROM reactions
      WHERE room = ${room} AND id = ANY(${[...new Set(ids)]}::bigint[])
      GROUP BY id, emoji
      ORDER BY id, min(ts), emoji`);
    for (const r of rows) {
      let list = out.get(r.id);
      if (!list) out.set(r.id, list = []);
      list.push({
        emoji: r.emoji,
        count: r.count,
        users: r.users,
        ...(key === undefined ? {} : { mine: r.mine }),
      });
    }
    return out;
  }

  /** Waits for pending writes. */
  idle(): Promise<void> {
    return this.#writes.idle();
  }

  /** One transaction for the batch; its deadline can cancel it. */
  #commit(changes: ReactionChange[]): Cancellable<ReactionOutcome[]> {
    const outcomes: ReactionOutcome[] = new Array(changes.length);
    const ts = this.now();
    // In one order on every instance, so two batches can't deadlock.
    const groups = [...byMessage(changes).values()].sort((a, b) =>
      a.room < b.room ? -1 : a.room > b.room ? 1 : a.id - b.id
    );
    return begin(this.sql, async (t) => {
      const tx = t as unknown as Db;
      for (const g of groups) {
        const mine = g.at.map((i) => changes[i]);
        const result = await this.#apply(tx, g.room, g.id, mine, ts);
        g.at.forEach((i, j) => outcomes[i] = result[j]);
      }
      return outcomes;
    });
  }

  async #apply(
    tx: Db,
    room: string,
    id: number,
    changes: ReactionChange[],
    ts: number,
  ): Promise<ReactionOutcome[]> {
    // A membership event (no sender) is no message to react to.
    const message = await tx<{ deleted: boolean }[]>`
      SELECT deleted OR user_name = '' AS deleted FROM messages
      WHERE room = ${room} AND id = ${id}
      FOR NO KEY UPDATE`;
    if (!message[0] || message[0].deleted) {
      return changes.map(() => "not_found");
    }
    const keys = [...new Set(changes.map((c) => c.key))];
    const [counts, present] = [
      await tx<{ emoji: string; n: number }[]>`
        SELECT emoji, count(*)::int AS n FROM reactions
        WHERE room = ${room} AND id = ${id} GROUP BY emoji`,
      await tx<{ emoji: string; member: string }[]>`
        SELECT emoji, member FROM reactions
        WHERE room = ${room} AND id = ${id} AND member = ANY(${keys}::text[])`,
    ];
    const effect = applyReactionChanges({
      counts: new Map(counts.map((r) => [r.emoji, r.n])),
      present: new Set(present.map((r) => pairKey(r.emoji, r.member))),
    }, changes);
    const ins = effect.inserts;
    if (ins.length > 0) {
      await tx`
        INSERT INTO reactions (room, id, emoji, member, name, ts)
        SELECT ${room}, ${id}, emoji, member, name, ${ts}::bigint
        FROM unnest(${ins.map((c) => c.emoji)}::text[],
          ${ins.map((c) => c.key)}::text[], ${ins.map((c) => c.name)}::text[])
          AS v(emoji, member, name)
        ON CONFLICT DO NOTHING`;
    }
    const del = effect.deletes;
    if (del.length > 0) {
      await tx`
        DELETE FROM reactions r
        USING unnest(${del.map((c) => c.emoji)}::text[],
          ${del.map((c) => c.key)}::text[]) AS v(emoji, member)
        WHERE r.room = ${room} AND r.id = ${id} AND r.emoji = v.emoji
          AND r.member = v.member`;
    }
    return effect.outcomes;
  }
}

/** Pins in `pins`. */
export class PgPins implements PinRecords {
  /** Creates the records over the pool. */
  constructor(
    readonly sql: Db,
    readonly guard: Guard,
    readonly now: () => number = Date.now,
  ) {}

  pin(
    room: string,
    id: number,
    by: string,
  ): Promise<"pinned" | "present" | "limit" | "not_found"> {
    return this.guard(begin(this.sql, async (t) => {
      const tx = t as unknown as Db;
      // Pins of one room take turns, so the limit holds across instances.
      await tx`SELECT pg_advisory_xact_lock(hashtext('pins'), hashtext(${room}))`;
      const message = await tx<{ deleted: boolean }[]>`
        SELECT deleted OR user_name = '' AS deleted FROM messages
        WHERE room = ${room} AND id = ${id}`;
      if (!message[0] || message[0].deleted) return "not_found" as const;
      const [{ n, here }] = await tx<{ n: number; here: boolean }[]>`
        SELECT count(*)::int AS n, coalesce(bool_or(id = ${id}), false) AS here
        FROM pins WHERE room = ${room}`;
      if (here) return "present" as const;
      if (n >= MAX_PINS) return "limit" as const;
      await tx`
        INSERT INTO pins (room, id, pinned_by, ts)
        VALUES (${room}, ${id}, ${by}, ${this.now()})`;
      return "pinned" as const;
    }));
  }

  async unpin(room: string, id: number): Promise<boolean> {
    const rows = await this.guard(this.sql`
      DELETE FROM pins WHERE room = ${room} AND id = ${id} RETURNING id`);
    return rows.length > 0;
  }

  async list(room: string): Promise<StoredPin[]> {
    const rows = await this.guard(this.sql<StoredPin[]>`
      SELECT id, pinned_by AS by, ts FROM pins WHERE room = ${room}
      ORDER BY ts DESC, id DESC`);
    return rows.map((r) => ({ id: r.id, by: r.by, ts: r.ts }));
  }
}
