/**
 * Threads in PostgreSQL: replies are rows of `messages` with `parent` set
 * (indexed by room, parent and id), the first message's `thread` column
 * holds the summary (moved by `chat_append`), and `thread_participants`
 * who takes part.
 *
 * @module
 */
import type { TransactionSql } from "postgres";
import type { Db } from "./postgres.ts";
import { type MessageRow, toMessage } from "./postgres_rows.ts";
import type { Guard } from "./postgres_records.ts";
import type { HistoryPage, ThreadRecords } from "./store.ts";
import { RECOUNT_WINDOW, summaryWithout } from "./thread_summary.ts";
import type { ThreadSummary } from "@/lib/shared/protocol.ts";

/**
 * In the transaction `sql` that deleted one of its replies: the summary of
 * the thread of `parent` counting one fewer, its time and repliers from
 * the newest live replies. The first message is locked (`FOR NO KEY
 * UPDATE`, as storing a reply locks it), by the caller before the reply.
 */
export async function recount(
  sql: TransactionSql<Record<string, never>>,
  room: string,
  parent: number,
): Promise<void> {
  const [root] = await sql<{ thread: ThreadSummary | null }[]>`
    SELECT thread FROM messages WHERE room = ${room} AND id = ${parent}
    FOR NO KEY UPDATE`;
  if (!root?.thread) return;
  const live = await sql<{ user_name: string; ts: number }[]>`
    SELECT user_name, ts FROM messages
    WHERE room = ${room} AND parent = ${parent} AND NOT deleted
    ORDER BY id DESC LIMIT ${RECOUNT_WINDOW}`;
  const thread = summaryWithout(
    root.thread,
    live.map((r) => ({ user: r.user_name, ts: Number(r.ts) })),
  );
  await sql`
    UPDATE messages SET thread = ${JSON.stringify(thread)}::text::jsonb
    WHERE room = ${room} AND id = ${parent}`;
}

/** Thread replies and participants in PostgreSQL. */
export class PgThreads implements ThreadRecords {
  /** Reads and writes threads through `sql`, failures through `guard`. */
  constructor(readonly sql: Db, readonly guard: Guard) {}

  /** Up to `limit` replies to `parent` before `before`, oldest first. */
  async replies(
    room: string,
    parent: number,
    options: { before?: number; limit: number },
  ): Promise<HistoryPage> {
    const limit = Math.max(1, Math.floor(options.limit));
    const rows = await this.guard(this.sql<MessageRow[]>`
      SELECT room, id, user_name, text, ts, client_id, guest, edited, deleted,
        file, parent, also_in_room
      FROM messages
      WHERE room = ${room} AND parent = ${parent}
        AND id < ${options.before ?? Number.MAX_SAFE_INTEGER}
      ORDER BY id DESC LIMIT ${limit + 1}`);
    return {
      messages: rows.slice(0, limit).map(toMessage).reverse(),
      hasMore: rows.length > limit,
    };
  }

  /** Records `keys` as taking part in the thread of `parent`. */
  async join(room: string, parent: number, keys: string[]): Promise<void> {
    const unique = [...new Set(keys)];
    if (unique.length === 0) return;
    await this.guard(this.sql`
      INSERT INTO thread_participants (room, parent, key)
      SELECT ${room}, ${parent}, k FROM unnest(${unique}::text[]) AS u(k)
      ON CONFLICT DO NOTHING`);
  }

  /** Who takes part in the thread of `parent`, ordered by key. */
  async participants(room: string, parent: number): Promise<string[]> {
    const rows = await this.guard(this.sql<{ key: string }[]>`
      SELECT key FROM thread_participants
      WHERE room = ${room} AND parent = ${parent}
      ORDER BY key COLLATE "C"`);
    return rows.map((r) => r.key);
  }
}
