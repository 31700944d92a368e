/**
 * Message search in PostgreSQL: each message's terms (the same tokenizer
 * as the KV index, `search_tokens.ts`) in `search_terms.terms`, a `text[]`
 * under a GIN index, written by the statement that stores the message
 * (`postgres.ts`) and rewritten by the one that edits or deletes it. Rows
 * go with their message (a foreign key with `ON DELETE CASCADE`), so
 * retention and room removal need nothing more. Messages stored before
 * search existed are indexed in the background at start.
 *
 * @module
 */
import { logger } from "@/lib/server/log.ts";
import type { Db } from "./postgres.ts";
import type { Guard } from "./postgres_records.ts";
import { type MessageRow, toMessage } from "./postgres_rows.ts";
import { indexTerms } from "./search_tokens.ts";
import { cursorOf, match, parseQuery, searchable } from "./search_match.ts";
import type {
  SearchCursor,
  SearchHit,
  SearchIndex,
  SearchPage,
  SearchQuery,
} from "./store.ts";

const log = logger("store");

/** Messages indexed per statement when catching up at start. */
const BACKFILL_BATCH = 500;

/**
 * A message's terms as one space-separated string (terms hold no spaces),
 * "" for membership events (`user` "") and deletions; SQL splits it with
 * `string_to_array(…, ' ')`.
 */
export function termString(
  message: { user: string; text: string; deleted?: boolean; event?: unknown },
): string {
  if (message.user === "" || message.deleted || message.event) return "";
  return indexTerms(message.text).join(" ");
}

/** The search index in PostgreSQL (table `search_terms`, migration 8). */
export class PgSearch implements SearchIndex {
  readonly #sql: Db;
  readonly #guard: Guard;
  #backfill?: Promise<void>;

  /** Creates the index over the pool. */
  constructor(sql: Db, guard: Guard) {
    this.#sql = sql;
    this.#guard = guard;
  }

  /** A page of the messages of `q.rooms` matching `q.query`, newest first. */
  async query(q: SearchQuery): Promise<SearchPage> {
    const parsed = parseQuery(q.query);
    const limit = Math.max(1, Math.floor(q.limit));
    const rooms = [...new Set(q.rooms)];
    if (parsed.lookup.length === 0 || rooms.length === 0) return { hits: [] };
    const batch = Math.min(500, Math.max(32, 2 * (limit + 1)));
    const hits: SearchHit[] = [];
    let c: SearchCursor | undefined = q.before;
    for (;;) {
      const sql = this.#sql;
      const after = c
        ? sql`AND (s.ts < ${c.ts} OR (s.ts = ${c.ts} AND
            (s.room COLLATE "C" < ${c.room}
              OR (s.room = ${c.room} AND s.id < ${c.id}))))`
        : sql``;
      const rows = await this.#guard(sql<MessageRow[]>`
        SELECT m.room, m.id, m.user_name, m.text, m.ts, m.client_id, m.guest,
          m.edited, m.deleted, m.parent, m.also_in_room
        FROM search_terms s
        JOIN messages m ON m.room = s.room AND m.id = s.id
        WHERE s.room = ANY(${rooms}::text[])
          AND s.terms @> ${parsed.lookup}::text[]
          ${after}
        ORDER BY s.ts DESC, s.room COLLATE "C" DESC, s.id DESC
        LIMIT ${batch}`);
      for (const row of rows) {
        const message = toMessage(row);
        if (!searchable(message)) continue;
        const highlights = match(parsed, message.text);
        if (highlights) hits.push({ message, highlights });
        if (hits.length > limit) break;
      }
      if (hits.length > limit || rows.length < batch) break;
      c = cursorOf(toMessage(rows[rows.length - 1]));
    }
    if (hits.length <= limit) return { hits };
    hits.length = limit;
    return { hits, next: cursorOf(hits[limit - 1].message) };
  }

  /**
   * Starts indexing, in the background, the messages stored without terms
   * (before migration 8, or copied in by `migrate-kv-to-postgres`, which
   * calls this again once it has copied).
   */
  catchUp(): void {
    // A call while a pass runs makes one more pass after it (messages
    // copied meanwhile may lie behind its position).
    const previous = this.#backfill ?? Promise.resolve();
    this.#backfill = previous.then(() => this.#catchUp()).catch((error) =>
      log.warn("indexing stored messages failed (redone at start): {error}", {
        error: String(error),
      })
    );
  }

  async #catchUp(): Promise<void> {
    let room = "";
    let id = 0;
    for (;;) {
      const rows = await this.#sql<MessageRow[]>`
        SELECT m.room, m.id, m.user_name, m.text, m.ts, m.deleted
        FROM messages m
        WHERE (m.room, m.id) > (${room}, ${id})
          AND NOT EXISTS (SELECT 1 FROM search_terms s
            WHERE s.room = m.room AND s.id = m.id)
        ORDER BY m.room, m.id
        LIMIT ${BACKFILL_BATCH}`;
      if (rows.length === 0) return;
      // Joined with messages: a row pruned meanwhile is left out.
      await this.#sql`
        INSERT INTO search_terms (room, id, ts, terms)
        SELECT u.room, u.id, u.ts, string_to_array(u.terms, ' ')
        FROM unnest(${rows.map((r) => r.room)}::text[],
          ${rows.map((r) => r.id)}::bigint[],
          ${rows.map((r) => r.ts)}::bigint[],
          ${rows.map((r) => termString({ ...r, user: r.user_name }))}::text[])
          AS u(room, id, ts, terms)
        JOIN messages m ON m.room = u.room AND m.id = u.id
        ON CONFLICT (room, id) DO NOTHING`;
      ({ room, id } = rows[rows.length - 1]);
    }
  }

  /** Waits for the background indexing started by {@link catchUp}. */
  async idle(): Promise<void> {
    await this.#backfill;
  }
}
