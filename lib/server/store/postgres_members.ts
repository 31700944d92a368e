/**
 * Room membership, read state and mentions in PostgreSQL (tables of
 * migration 5). Adds and removes are batched ({@link Batcher}): calls made
 * while a statement is in flight go together in the next one, a multi-row
 * insert or delete that moves `room_member_counts` in the same statement,
 * so a join storm costs a few round trips and a count is one row.
 *
 * @module
 */
import type { Db } from "./postgres.ts";
import type { Guard } from "./postgres_records.ts";
import type {
  Member,
  MemberPage,
  MemberRecords,
  NewMember,
  ReadRecords,
} from "./store.ts";
import { assertMessageId, prefixEnd, StoreUnavailableError } from "./store.ts";
import { Batcher } from "./batcher.ts";
import { type Cancellable, cancellable } from "./cancellable.ts";
import { fold } from "@/lib/shared/names.ts";

/** Calls per statement. */
const MAX_BATCH = 1000;

interface MemberOp {
  room: string;
  key: string;
  /** Present for an add, absent for a remove. */
  add?: { name: string; guest: boolean; lastRead: number };
}

type ReadOp =
  | { set: true; key: string; room: string; id: number }
  | { set: false; room: string; id: number; keys: string[] };

const pairId = (room: string, key: string) => JSON.stringify([room, key]);

/** An outage fails a whole batch; anything else is retried call by call. */
const retryAlone = (error: unknown) =>
  !(error instanceof StoreUnavailableError);

/** Room membership in `room_members`, counts in `room_member_counts`. */
export class PgMembers implements MemberRecords {
  readonly #writes: Batcher<MemberOp, boolean>;

  /** Creates the records over the pool. */
  constructor(
    readonly sql: Db,
    readonly guard: Guard,
    readonly now: () => number = Date.now,
  ) {
    this.#writes = new Batcher(
      (ops) => this.guard(this.#commit(ops)),
      { maxItems: MAX_BATCH, retryAlone },
    );
  }

  add(
    room: string,
    member: NewMember,
  ): Promise<boolean> {
    const lastRead = member.lastRead ?? 0;
    try {
      if (lastRead > 0) assertMessageId(lastRead);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#writes.push({
      room,
      key: member.key,
      add: { name: member.name, guest: member.guest, lastRead },
    });
  }

  remove(room: string, key: string): Promise<boolean> {
    return this.#writes.push({ room, key });
  }

  /**
   * Applies `ops` in order: each run of adds is one insert, each run of
   * removes one delete, all in one transaction when there are several.
   * Its deadline can cancel it (see `cancellable.ts`).
   */
  #commit(ops: MemberOp[]): Cancellable<boolean[]> {
    const runs: { add: boolean; from: number; to: number }[] = [];
    ops.forEach((op, i) => {
      const last = runs.at(-1);
      if (last && last.add === (op.add !== undefined)) last.to = i + 1;
      else runs.push({ add: op.add !== undefined, from: i, to: i + 1 });
    });
    const results: boolean[] = new Array(ops.length).fill(false);
    const apply = async (tx: Db) => {
      for (const run of runs) {
        // The first call on a pair decides; a repeat in the run is a no-op.
        const first = new Map<string, number>();
        for (let i = run.from; i < run.to; i++) {
          const id = pairId(ops[i].room, ops[i].key);
          if (!first.has(id)) first.set(id, i);
        }
        const idx = [...first.values()];
        const rooms = idx.map((i) => ops[i].room);
        const keys = idx.map((i) => ops[i].key);
        const changed = run.add
          ? await tx<{ room: string; key: string }[]>`
            WITH ins AS (
              INSERT INTO room_members (room, key, name, guest, joined_at,
                name_fold)
              SELECT room, key, name, guest, ${this.now()}::bigint, name_fold
              FROM unnest(
                ${rooms}::text[],
                ${keys}::text[],
                ${idx.map((i) => ops[i].add!.name)}::text[],
                ${idx.map((i) => fold(ops[i].add!.name))}::text[],
                ${
            idx.map((i) => ops[i].add!.guest ? "t" : "f")
          }::text[]::boolean[]
              ) AS v(room, key, name, name_fold, guest)
              ORDER BY room, key
              ON CONFLICT (room, key) DO NOTHING
              RETURNING room, key
            ), counted AS (
              INSERT INTO room_member_counts AS c (room, members)
              SELECT room, count(*) FROM ins GROUP BY room ORDER BY room
              ON CONFLICT (room) DO UPDATE
                SET members = c.members + excluded.members
            ), marked AS (
              INSERT INTO read_state AS r (room, key, last_read)
              SELECT ins.room, ins.key, m.last_read
              FROM ins JOIN unnest(
                ${rooms}::text[],
                ${keys}::text[],
                ${idx.map((i) => ops[i].add!.lastRead)}::bigint[]
              ) AS m(room, key, last_read)
                ON m.room = ins.room AND m.key = ins.key
              WHERE m.last_read > 0
              ORDER BY ins.room, ins.key
              ON CONFLICT (room, key) DO UPDATE
                SET last_read = GREATEST(r.last_read, excluded.last_read)
            )
            SELECT room, key FROM ins`
          : await tx<{ room: string; key: string }[]>`
            WITH del AS (
              DELETE FROM room_members m
              USING unnest(${rooms}::text[], ${keys}::text[]) AS v(room, key)
              WHERE m.room = v.room AND m.key = v.key
              RETURNING m.room, m.key
            ), counted AS (
              UPDATE room_member_counts c SET members = c.members - d.n
              FROM (SELECT room, count(*) AS n FROM del GROUP BY room) d
              WHERE c.room = d.room
            )
            SELECT room, key FROM del`;
        for (const { room, key } of changed) {
          results[first.get(pairId(room, key))!] = true;
        }
      }
    };
    return cancellable(this.sql, async (sql) => {
      if (runs.length === 1) await apply(sql);
      else await sql.begin((tx) => apply(tx as unknown as Db));
      return results;
    });
  }

  async get(room: string, key: string): Promise<Member | null> {
    const rows = await this.guard(this.sql<Member[]>`
      SELECT key, name, guest, joined_at AS "joinedAt"
      FROM room_members WHERE room = ${room} AND key = ${key}`);
    return rows[0] ? { ...rows[0] } : null;
  }

  async list(
    room: string,
    options: { after?: string; limit: number },
  ): Promise<MemberPage> {
    const limit = Math.max(1, Math.floor(options.limit));
    const rows = await this.guard(this.sql<Member[]>`
      SELECT key, name, guest, joined_at AS "joinedAt"
      FROM room_members
      WHERE room = ${room} AND key > ${options.after ?? ""}
      ORDER BY key LIMIT ${limit + 1}`);
    const members = rows.slice(0, limit).map((r) => ({ ...r }));
    return rows.length > limit
      ? { members, next: members[limit - 1].key }
      : { members };
  }

  async named(room: string, names: string[]): Promise<Member[]> {
    if (names.length === 0) return [];
    const rows = await this.guard(this.sql<Member[]>`
      SELECT key, name, guest, joined_at AS "joinedAt"
      FROM room_members
      WHERE room = ${room} AND name_fold = ANY(${names}::text[])
      ORDER BY key`);
    return rows.map((r) => ({ ...r }));
  }

  async startingWith(
    room: string,
    prefix: string,
    limit: number,
  ): Promise<Member[]> {
    // A range of room_members_name_prefix (migration 12): the pattern
    // operators compare bytes, whatever the database's collation.
    const rows = await this.guard(this.sql<Member[]>`
      SELECT key, name, guest, joined_at AS "joinedAt"
      FROM room_members
      WHERE room = ${room} AND name_fold ~>=~ ${prefix}
        AND name_fold ~<~ ${prefixEnd(prefix)}
      ORDER BY name_fold USING ~<~, key
      LIMIT ${Math.max(1, Math.floor(limit))}`);
    return rows.map((r) => ({ ...r }));
  }

  async count(room: string): Promise<number> {
    const rows = await this.guard(this.sql<{ members: number }[]>`
      SELECT members FROM room_member_counts WHERE room = ${room}`);
    return rows[0]?.members ?? 0;
  }

  async roomsOf(key: string): Promise<string[]> {
    const rows = await this.guard(this.sql<{ room: string }[]>`
      SELECT room FROM room_members WHERE key = ${key}
      ORDER BY room COLLATE "C"`);
    return rows.map((r) => r.room);
  }

  /** Waits for pending writes. */
  idle(): Promise<void> {
    return this.#writes.idle();
  }

  /** Waits for the writes queued so far, not for those queued after. */
  settled(): Promise<void> {
    return this.#writes.settled();
  }
}

/** Read state in `read_state`, mentions in `mentions`. */
export class PgReads implements ReadRecords {
  readonly #writes: Batcher<ReadOp, number>;

  /** Creates the records over the pool. */
  constructor(readonly sql: Db, readonly guard: Guard) {
    this.#writes = new Batcher(
      (ops) => this.guard(this.#commit(ops)),
      { maxItems: MAX_BATCH, retryAlone },
    );
  }

  async get(key: string, rooms: string[]): Promise<Map<string, number>> {
    const out = new Map(rooms.map((room) => [room, 0]));
    if (rooms.length === 0) return out;
    const rows = await this.guard(this.sql<
      { room: string; last_read: number }[]
    >`
      SELECT room, last_read FROM read_state
      WHERE key = ${key} AND room = ANY(${rooms}::text[])`);
    for (const r of rows) out.set(r.room, r.last_read);
    return out;
  }

  set(key: string, room: string, id: number): Promise<number> {
    try {
      assertMessageId(id);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#writes.push({ set: true, key, room, id });
  }

  async mention(room: string, id: number, keys: string[]): Promise<void> {
    assertMessageId(id);
    if (keys.length === 0) return;
    await this.#writes.push({ set: false, room, id, keys: [...new Set(keys)] });
  }

  /**
   * One upsert for the last-read ids (only raised), one insert for
   * mentions. Its deadline can cancel it (see `cancellable.ts`).
   */
  #commit(ops: ReadOp[]): Cancellable<number[]> {
    const sets = new Map<string, { room: string; key: string; id: number }>();
    const mentioned = {
      rooms: [] as string[],
      keys: [] as string[],
      ids: [] as number[],
    };
    for (const op of ops) {
      if (op.set) {
        const id = pairId(op.room, op.key);
        const s = sets.get(id);
        if (!s) sets.set(id, { room: op.room, key: op.key, id: op.id });
        else s.id = Math.max(s.id, op.id);
      } else {
        for (const key of op.keys) {
          mentioned.rooms.push(op.room);
          mentioned.keys.push(key);
          mentioned.ids.push(op.id);
        }
      }
    }
    const list = [...sets.values()];
    return cancellable(this.sql, async (sql) => {
      const [rows] = await Promise.all([
        list.length === 0 ? [] : sql<
          { room: string; key: string; last_read: number }[]
        >`
        INSERT INTO read_state AS r (room, key, last_read)
        SELECT * FROM unnest(
          ${list.map((s) => s.room)}::text[],
          ${list.map((s) => s.key)}::text[],
          ${list.map((s) => s.id)}::bigint[]
        ) AS v(room, key, last_read)
        ORDER BY room, key
        ON CONFLICT (room, key) DO UPDATE
          SET last_read = GREATEST(r.last_read, excluded.last_read)
        RETURNING room, key, last_read`,
        mentioned.rooms.length === 0 ? [] : sql`
        INSERT INTO mentions (room, key, id)
        SELECT * FROM unnest(
          ${mentioned.rooms}::text[],
          ${mentioned.keys}::text[],
          ${mentioned.ids}::bigint[]
        )
        ON CONFLICT DO NOTHING`,
      ]);
      const stored = new Map(
        rows.map((r) => [pairId(r.room, r.key), r.last_read]),
      );
      return ops.map((op) => op.set ? stored.get(pairId(op.room, op.key))! : 0);
    });
  }

  async mentionsAfter(
    key: string,
    room: string,
    after: number,
  ): Promise<number> {
    const rows = await this.guard(this.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM mentions
      WHERE room = ${room} AND key = ${key} AND id > ${after}`);
    return rows[0].n;
  }

  async mentionedAfter(
    key: string,
    room: string,
    after: number,
  ): Promise<number[]> {
    const rows = await this.guard(this.sql<{ id: number }[]>`
      SELECT id FROM mentions
      WHERE room = ${room} AND key = ${key} AND id > ${after}
      ORDER BY id`);
    return rows.map((r) => Number(r.id));
  }

  async unmention(room: string, id: number): Promise<string[]> {
    // A mention still waiting to be written would come back after this
    // (those queued later are for other messages: not waited for).
    await this.#writes.settled();
    const rows = await this.guard(this.sql<{ key: string }[]>`
      DELETE FROM mentions WHERE room = ${room} AND id = ${id}
      RETURNING key`);
    return rows.map((r) => r.key);
  }

  /** Waits for pending writes. */
  idle(): Promise<void> {
    return this.#writes.idle();
  }

  /** Waits for the writes queued so far, not for those queued after. */
  settled(): Promise<void> {
    return this.#writes.settled();
  }
}
