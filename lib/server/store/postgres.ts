/**
 * The storage contract in PostgreSQL, for instances on several hosts.
 *
 * A message id comes from the room's row in `room_counters`, locked and
 * advanced in the same transaction that inserts the message, so ids are
 * strictly increasing per room with no gaps, whichever instance sends. As in
 * the KV store, sends waiting while a transaction is in flight go together
 * in the next one (group commit), and each resolves only after COMMIT.
 *
 * When PostgreSQL stops answering, sends fail at once (the caller answers
 * `unavailable` and does not ack), `healthy()` is false, and a probe
 * reconnects with backoff, logging once when the outage starts and once
 * when it ends.
 *
 * @module
 */
import postgres, { type Sql, type TransactionSql } from "postgres";
import type { ChatMessage, FileRef } from "@/lib/shared/protocol.ts";
import { type Logger, logger } from "@/lib/server/log.ts";
import { migrate } from "./postgres_schema.ts";
import { PgClosedDms } from "./postgres_closed_dms.ts";
import {
  PgAccounts,
  PgBans,
  PgNameClaims,
  PgRoles,
  PgSessions,
} from "./postgres_records.ts";
import { PgMembers, PgReads } from "./postgres_members.ts";
import { PgSearch, termString } from "./postgres_search.ts";
import { indexTerms } from "./search_tokens.ts";
import { PgPins, PgReactions } from "./postgres_reactions.ts";
import { PgFiles, releaseUsage } from "./postgres_files.ts";
import { fileIdsOf } from "./files.ts";
import { type MessageRow, toMessage } from "./postgres_rows.ts";
import type {
  Appended,
  CreateRoomOptions,
  Draft,
  HistoryPage,
  MessageChange,
  PublicRoomsOptions,
  RoomKind,
  RoomOrigin,
  RoomPage,
  Store,
  StoredRoom,
} from "./store.ts";
import {
  prefixEnd,
  roomGone,
  RoomGoneError,
  StoreOpenError,
  StoreUnavailableError,
} from "./store.ts";
import { Batcher } from "./batcher.ts";
import { renewablePool } from "./postgres_pool.ts";
import { deadline, DEADLINE_MS, DeadlineError } from "./deadline.ts";
import { guardOrphanedErrors } from "./postgres_orphans.ts";
import { isConnectionError } from "./postgres_errors.ts";
import { PgThreads, recount } from "./postgres_threads.ts";
import { begin } from "./cancellable.ts";
import { wireTarget } from "./postgres_wire.ts";
import { WireStatement } from "./postgres_statement.ts";

/**
 * Stores a batch of sends (`$1`, JSON) at time `$2` with one call of
 * `chat_append`, and answers one row: the buses listening, and each send's
 * index and id (for a duplicate, the row stored before) as one JSON array.
 */
const APPEND_SQL = `
  WITH input AS (
    SELECT * FROM jsonb_to_recordset($1::text::jsonb) AS d(
      i int, room text, "user" text, text text, client text,
      sender text, author text, guest boolean, event jsonb, file jsonb,
      parent bigint, also boolean, terms text, reader text, require boolean)
  ),
  appended AS (SELECT * FROM chat_append(
    ARRAY(SELECT room FROM input ORDER BY i),
    ARRAY(SELECT "user" FROM input ORDER BY i),
    ARRAY(SELECT text FROM input ORDER BY i),
    $2::bigint,
    ARRAY(SELECT client FROM input ORDER BY i),
    ARRAY(SELECT sender FROM input ORDER BY i),
    ARRAY(SELECT author FROM input ORDER BY i),
    ARRAY(SELECT guest FROM input ORDER BY i),
    ARRAY(SELECT event FROM input ORDER BY i),
    ARRAY(SELECT file FROM input ORDER BY i),
    ARRAY(SELECT parent FROM input ORDER BY i),
    ARRAY(SELECT also FROM input ORDER BY i),
    ARRAY(SELECT require FROM input ORDER BY i)
  )),
  -- The search terms, in the same statement: stored with the message.
  indexed AS (
    INSERT INTO search_terms (room, id, ts, terms)
    SELECT d.room, a.id, a.ts, string_to_array(d.terms, ' ')
    FROM appended a JOIN input d ON d.i = a.idx
    WHERE NOT a.duplicate
  ),
  -- One's own message is read: the reader's mark moves up to it (never
  -- back) in the same transaction, so the send needs no write of its own.
  marked AS (
    INSERT INTO read_state AS r (room, key, last_read)
    SELECT d.room, d.reader, max(a.id)
    FROM appended a JOIN input d ON d.i = a.idx
    WHERE NOT a.duplicate AND d.reader IS NOT NULL
    GROUP BY d.room, d.reader
    ORDER BY d.room, d.reader
    ON CONFLICT (room, key) DO UPDATE
      SET last_read = GREATEST(r.last_read, excluded.last_read)
  )
  -- One row for the whole batch: each send's index and id, and for a
  -- duplicate the message stored before (a new one is its draft), read
  -- with one JSON.parse instead of a row of sixteen columns per send;
  -- and the buses listening as this commits (see migration 13).
  SELECT (SELECT chat_listeners()) AS listeners,
    json_agg(json_build_array(a.idx, a.id,
      CASE WHEN a.duplicate THEN row_to_json(a) END))::text AS appended
  FROM appended a`;

/** The SQLSTATE `chat_append` raises for a send whose room is gone. */
const ROOM_GONE = "CH404";

/** A connection pool with `bigint` columns read as numbers. */
export type Db = Sql<Record<string, never>>;

/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`. */
  url: string;
  /** Connections in the pool. */
  poolSize: number;
  /** Messages kept per room. */
  historyLimit: number;
  /** Clock, injectable for tests. */
  now?: () => number;
  /** Where outages are logged; defaults to `logger("store")`. */
  logger?: Logger;
  /**
   * Milliseconds a call may wait for PostgreSQL before it fails as an
   * outage (default 10,000): one unanswered query must not hold back the
   * sends queued behind it.
   */
  deadlineMs?: number;
  /**
   * Shortest time between the starts of back-to-back transactions of sends
   * (default 0), as `BatcherOptions.spacingMs`.
   */
  commitSpacingMs?: number;
}

/** Thrown when the store cannot be opened (defined with the contract). */
export { StoreOpenError };

/** Sends per transaction, across rooms. */
const MAX_BATCH = 200;
/** Run retention after this many messages in a room. */
const PRUNE_EVERY = 100;
/** Longest wait between reconnection probes. */
const MAX_BACKOFF_MS = 2000;
/**
 * How long the `SELECT 1` asked after a call passed its deadline may take
 * before PostgreSQL counts as unreachable.
 */
const LATE_CHECK_MS = 2000;

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}

/** Options of {@link connect}. */
export interface ConnectOptions {
  /**
   * Commit without waiting for the WAL to reach the disk
   * (`synchronous_commit = off`), for connections whose transactions need
   * no durability, such as the bus's `NOTIFY`s: a crash loses at most the
   * last few hundred milliseconds of them, never a record.
   */
  asyncCommit?: boolean;
}

/** A pool over `url`: numbers for bigint, quiet notices, short connect timeout. */
export function connect(
  url: string,
  poolSize: number,
  options: ConnectOptions = {},
): Db {
  guardOrphanedErrors();
  return postgres(url, {
    max: poolSize,
    onnotice: () => {},
    connect_timeout: 5,
    ...(options.asyncCommit
      ? { connection: { synchronous_commit: "off" } }
      : {}),
    // PostgreSQL's bigint (int8) as a JS number: ids and epoch ms fit.
    types: {
      int8: {
        to: 20,
        from: [20],
        serialize: (x: number) => String(x),
        parse: (x: string) => Number(x),
      },
    },
  }) as unknown as Db;
}

interface RoomRow {
  id: string;
  createdBy: string | null;
  createdAt: number;
  kind: RoomKind;
  topic: string | null;
}

const toRoom = (r: RoomRow): StoredRoom => {
  const room: StoredRoom = {
    id: r.id,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
    kind: r.kind,
  };
  if (r.topic !== null) room.topic = r.topic;
  return room;
};

/**
 * A send as `#commit` reads it back: its index in the batch (from 1), its
 * id, and for a duplicate the row stored before (null for a new message).
 */
type CommitRow = [idx: number, id: number, prior: MessageRow | null];

/**
 * The message `chat_append` stored for a new send: the draft with its id
 * and time, as {@link toMessage} reads the row back.
 */
function stored(d: Draft, id: number, ts: number): ChatMessage {
  const m: ChatMessage = { id, room: d.room, user: d.user, text: d.text, ts };
  if (d.clientId != null) m.clientId = d.clientId;
  if (d.guest) m.guest = true;
  if (d.event) m.event = d.event;
  if (d.file) m.file = d.file;
  if (d.parent != null) m.parent = d.parent;
  if (d.alsoInRoom) m.alsoInRoom = true;
  return m;
}

/** The storage contract in PostgreSQL. */
export class PostgresStore implements Store {
  /** Always `"postgres"`. */
  readonly backend = "postgres";
  /** The connection pool. */
  readonly sql: Db;
  /** Accounts in `accounts`. */
  readonly accounts: PgAccounts;
  /** Login sessions in `login_sessions`. */
  readonly sessions: PgSessions;
  /** Name holds in `name_holds`. */
  readonly names: PgNameClaims;
  /** Bans in `bans`. */
  readonly bans: PgBans;
  /** Admin roles in `admin_grants` and `admin_listed`. */
  readonly roles: PgRoles;
  /** Membership in `room_members` and `room_member_counts`. */
  readonly members: PgMembers;
  /** Read state in `read_state`, mentions in `mentions`. */
  readonly reads: PgReads;
  /** Closed DMs in `closed_dms`. */
  readonly closedDms: PgClosedDms;
  /** Message search in `search_terms` (see `postgres_search.ts`). */
  readonly search: PgSearch;
  /** Uploaded files in `files`, `file_chunks` and `file_usage`. */
  readonly files: PgFiles;
  /** Thread replies (`messages.parent`) and `thread_participants`. */
  readonly threads: PgThreads;
  /** Reactions in `reactions` (see `postgres_reactions.ts`). */
  readonly reactions: PgReactions;
  /** Pins in `pins`. */
  readonly pins: PgPins;
  readonly #limit: number;
  readonly #now: () => number;
  readonly #log: Logger;
  readonly #target: string;
  readonly #deadlineMs: number;
  /** Sends waiting for a transaction, in arrival order. */
  readonly #appends: Batcher<Draft, Appended>;
  /** The lean connection sends commit on; without it, the pool. */
  readonly #wire?: WireStatement;
  #closed = false;
  /** Set while PostgreSQL is unreachable; cleared by the probe. */
  #down?: { since: number; probe: Promise<void> };
  /** Whether a call past its deadline is being checked (see `#late`). */
  #checking = false;
  readonly #renew?: () => void;

  /**
   * Wraps an open, migrated pool; sends commit on `options.appends` when
   * given (see {@link openPostgresStore}), else through the pool.
   */
  constructor(
    sql: Db,
    options: Omit<PostgresStoreOptions, "poolSize"> & {
      appends?: WireStatement;
      /** Replaces `sql`'s connections (see `postgres_pool.ts`). */
      renew?: () => void;
    },
  ) {
    this.sql = sql;
    this.#renew = options.renew;
    this.#wire = options.appends;
    this.#limit = options.historyLimit;
    this.#now = options.now ?? Date.now;
    this.#log = options.logger ?? logger("store");
    this.#target = redactUrl(options.url);
    this.#deadlineMs = options.deadlineMs ?? DEADLINE_MS;
    const guard = <T>(p: Promise<T>) => this.#guard(p);
    this.accounts = new PgAccounts(sql, guard);
    this.sessions = new PgSessions(sql, guard);
    this.names = new PgNameClaims(sql, guard, this.#now);
    this.bans = new PgBans(sql, guard, this.#now);
    this.roles = new PgRoles(sql, guard);
    this.members = new PgMembers(sql, guard, this.#now);
    this.reads = new PgReads(sql, guard);
    this.closedDms = new PgClosedDms(sql, guard);
    this.search = new PgSearch(sql, guard);
    this.files = new PgFiles(sql, guard, this.#now);
    this.threads = new PgThreads(sql, guard);
    this.reactions = new PgReactions(sql, guard, this.#now);
    this.pins = new PgPins(sql, guard, this.#now);
    this.#appends = new Batcher(
      (drafts) => this.#guard(this.#commit(drafts)),
      {
        maxItems: MAX_BATCH,
        // An outage fails the batch at once; one bad send fails alone.
        retryAlone: (error) => !(error instanceof StoreUnavailableError),
        refuses: roomGone,
        spacingMs: options.commitSpacingMs,
      },
    );
  }

  /**
   * Waits for `p` until the deadline; notes a connection failure (starting
   * the probe) and passes the error on.
   */
  async #guard<T>(p: Promise<T>): Promise<T> {
    try {
      return await deadline(p, this.#deadlineMs);
    } catch (error) {
      if (!isConnectionError(error)) throw error;
      if (error instanceof DeadlineError) this.#late(error);
      else this.#outage(error);
      throw new StoreUnavailableError(`PostgreSQL is unreachable: ${error}`, {
        cause: error,
      });
    }
  }

  /**
   * A call got no answer by its deadline. PostgreSQL may be gone (a
   * connection left half-open, a crash-restart) or the statement merely
   * slow (waiting on a lock, say): a `SELECT 1` tells which, and only the
   * first is an outage. A slow statement refuses no other send.
   */
  #late(error: DeadlineError): void {
    if (this.#down || this.#closed || this.#checking) return;
    this.#checking = true;
    deadline(this.sql`SELECT 1`, Math.min(this.#deadlineMs, LATE_CHECK_MS))
      .then(
        () =>
          this.#log.warn(
            "a statement got no answer within {ms} ms and was cancelled; PostgreSQL at {target} answers, so it was slow, not unreachable",
            { ms: this.#deadlineMs, target: this.#target },
          ),
        () => this.#outage(error),
      )
      .finally(() => this.#checking = false);
  }

  #outage(error: unknown): void {
    if (this.#down || this.#closed) return;
    const since = Date.now();
    this.#log.error(
      "PostgreSQL at {target} unreachable ({error}); sends fail until it is back, retrying with backoff",
      { target: this.#target, error: String(error) },
    );
    this.#down = { since, probe: this.#probe(since) };
  }

  async #probe(since: number): Promise<void> {
    for (let attempt = 0; !this.#closed; attempt++) {
      const delay = Math.min(MAX_BACKOFF_MS, 50 * 2 ** attempt);
      await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random())));
      if (this.#closed) return;
      // A try after a failed one starts from fresh connections: the outage
      // may have left the pool's stuck for good (see `postgres_pool.ts`).
      if (attempt > 0) this.#renew?.();
      try {
        await deadline(this.sql`SELECT 1`, this.#deadlineMs);
        this.#down = undefined;
        this.#log.info("PostgreSQL at {target} is back after {ms} ms", {
          target: this.#target,
          ms: Date.now() - since,
        });
        return;
      } catch { /* still down: logged once already */ }
    }
  }

  append(draft: Draft): Promise<Appended> {
    if (this.#closed) return Promise.reject(new Error("Store is closed"));
    if (this.#down) {
      return Promise.reject(
        new StoreUnavailableError("PostgreSQL is unreachable"),
      );
    }
    return this.#appends.push(draft);
  }

  /**
   * Stores `drafts` (of any rooms) with one call of `chat_append`: one
   * statement, one round trip, committed before its result arrives; a
   * membership event is stored in the same statement as its message. The
   * promise can be cancelled (`cancel()`, as its deadline does): a
   * statement still waiting, on a lock say, is then cancelled rather than
   * left to commit after its sends were answered `unavailable`.
   */
  #commit(drafts: Draft[]): Promise<Appended[]> & { cancel(): void } {
    const ts = this.#now();
    // One JSON parameter instead of an array per column: the client
    // serialises arrays element by element in JavaScript, JSON natively.
    const input = JSON.stringify(drafts.map((d, i) => ({
      i: i + 1,
      room: d.room,
      user: d.user,
      text: d.text,
      client: d.clientId ?? null,
      sender: d.author ?? d.user,
      author: d.guest ? d.author ?? null : null,
      guest: d.guest === true,
      event: d.event ?? null,
      file: d.file ?? null,
      parent: d.parent ?? null,
      also: d.alsoInRoom === true,
      terms: termString(d),
      reader: d.reader ?? null,
      require: d.requireRoom === true,
    })));
    const params = [input, String(ts)];
    const query = this.#wire
      ? this.#wire.run(params)
      : this.sql.unsafe(APPEND_SQL, params, { prepare: true }).values();
    const done = query.then(
      ([row]) => this.#committed(drafts, row as [string, string], ts),
      (error) => {
        // A send whose room is gone (migration 17): the batch fails, and
        // is retried send by send.
        if ((error as { code?: string })?.code === ROOM_GONE) {
          const room = /No such room: (.*)/.exec(String(error))?.[1];
          throw new RoomGoneError(room ?? "");
        }
        throw error;
      },
    );
    return Object.assign(done, {
      cancel: () => void Promise.resolve(query.cancel()).catch(() => {}),
    });
  }

  /** The results of a committed batch, and the pruning it calls for. */
  #committed(
    drafts: Draft[],
    [listeners, appended]: [listeners: string, appended: string],
    ts: number,
  ): Appended[] {
    const results: Appended[] = new Array(drafts.length);
    const span = new Map<string, { first: number; last: number }>();
    for (const [idx, id, prior] of JSON.parse(appended) as CommitRow[]) {
      const draft = drafts[idx - 1];
      const room = draft.room;
      results[idx - 1] = prior
        ? { message: toMessage({ ...prior, room }), duplicate: true, listeners }
        : { message: stored(draft, id, ts), duplicate: false, listeners };
      if (prior) continue;
      const s = span.get(room);
      if (!s) span.set(room, { first: id - 1, last: id });
      else s.last = Math.max(s.last, id);
    }
    // Committed: only now may callers ack.
    for (const [room, { first, last }] of span) {
      if (Math.floor(last / PRUNE_EVERY) > Math.floor(first / PRUNE_EVERY)) {
        this.#prune(room, last).catch((error) =>
          this.#log.warn("pruning {room} failed: {error}", {
            room,
            error: String(error),
          })
        );
      }
    }
    return results;
  }

  async #prune(room: string, lastId: number): Promise<void> {
    const end = lastId - this.#limit + 1;
    if (end <= 1) return;
    const gone = await this.sql<{ file: FileRef | null }[]>`
      DELETE FROM messages WHERE room = ${room} AND id < ${end}
      RETURNING file`;
    // Mentions of messages no longer kept count no more.
    await this.sql`DELETE FROM mentions WHERE room = ${room} AND id < ${end}`;
    // Files go with their messages, freeing their owners' quota.
    for (const id of gone.flatMap((row) => fileIdsOf(row.file))) {
      await this.files.delete(id);
    }
  }

  async lastId(room: string): Promise<number> {
    const rows = await this.#guard(this.sql<{ last_id: number }[]>`
      SELECT last_id FROM room_counters WHERE room = ${room}`);
    return rows[0]?.last_id ?? 0;
  }

  async oldestId(room: string): Promise<number> {
    const rows = await this.#guard(this.sql<{ id: number }[]>`
      SELECT id FROM messages WHERE room = ${room} ORDER BY id LIMIT 1`);
    return rows[0]?.id ?? (await this.lastId(room)) + 1;
  }

  async range(
    room: string,
    after: number,
    upTo = Number.MAX_SAFE_INTEGER,
  ): Promise<ChatMessage[]> {
    const rows = await this.#guard(this.sql<MessageRow[]>`
      SELECT * FROM messages
      WHERE room = ${room} AND id > ${after} AND id <= ${upTo}
      ORDER BY id`);
    return rows.map(toMessage);
  }

  async history(
    room: string,
    limit: number,
    before?: number,
  ): Promise<HistoryPage> {
    const rows = await this.#guard(this.sql<MessageRow[]>`
      SELECT * FROM messages
      WHERE room = ${room} AND id < ${before ?? Number.MAX_SAFE_INTEGER}
      ORDER BY id DESC LIMIT ${limit + 1}`);
    const hasMore = rows.length > limit;
    const messages = rows.slice(0, limit).map(toMessage).reverse();
    return { messages, hasMore };
  }

  async get(room: string, id: number): Promise<ChatMessage | null> {
    const rows = await this.#guard(this.sql<MessageRow[]>`
      SELECT * FROM messages WHERE room = ${room} AND id = ${id}`);
    return rows[0] ? toMessage(rows[0]) : null;
  }

  async sent(
    room: string,
    sender: string,
    clientId: string,
  ): Promise<ChatMessage | null> {
    const rows = await this.#guard(this.sql<MessageRow[]>`
      SELECT * FROM messages
      WHERE room = ${room} AND sender = ${sender} AND client_id = ${clientId}`);
    return rows[0] ? toMessage(rows[0]) : null;
  }

  async author(room: string, id: number): Promise<string | null> {
    const rows = await this.#guard(this.sql<{ author: string | null }[]>`
      SELECT author FROM messages WHERE room = ${room} AND id = ${id}`);
    return rows[0]?.author ?? null;
  }

  async update(
    room: string,
    id: number,
    change: MessageChange,
  ): Promise<ChatMessage | null> {
    // A deleted message stays deleted: a late edit must not bring it back.
    // The search terms change in the same statement.
    const terms = change.deleted ? "" : indexTerms(change.text).join(" ");
    if (change.deleted) {
      // A deleted reply leaves its thread's count in the same transaction.
      // Rows are locked in (room, id) order, as reactions' and sends'
      // commits lock them: a reply's first message (older) before it.
      return await this.#guard(begin(this.sql, async (tx) => {
        const [row] = await tx<{ parent: number | null }[]>`
          SELECT parent FROM messages WHERE room = ${room} AND id = ${id}`;
        const parent = row?.parent ?? null;
        if (parent !== null) {
          await tx`SELECT 1 FROM messages WHERE room = ${room}
            AND id = ${parent} FOR NO KEY UPDATE`;
        }
        const m = await this.#change(tx, room, id, change, terms);
        if (m?.parent !== undefined) await recount(tx, room, m.parent);
        return m;
      }));
    }
    return await this.#guard(this.#change(this.sql, room, id, change, terms));
  }

  /** Changes one message and its search terms; null when none is changed. */
  async #change(
    sql: Db | TransactionSql<Record<string, never>>,
    room: string,
    id: number,
    change: MessageChange,
    terms: string,
  ): Promise<ChatMessage | null> {
    const rows = await sql<MessageRow[]>`
      WITH changed AS (
        UPDATE messages SET
          text = ${change.text},
          edited = edited OR ${change.edited === true},
          deleted = ${change.deleted === true},
          -- A deleted message refers to no file any more.
          file = CASE WHEN ${change.deleted === true} THEN NULL ELSE file END
        WHERE room = ${room} AND id = ${id} AND NOT deleted
        RETURNING *
      ), indexed AS (
        UPDATE search_terms s SET terms = string_to_array(${terms}, ' ')
        FROM changed c
        WHERE s.room = c.room AND s.id = c.id AND c.user_name <> ''
      )
      SELECT * FROM changed`;
    return rows[0] ? toMessage(rows[0]) : null;
  }

  async createRoom(
    id: string,
    by: RoomOrigin = {},
    options: CreateRoomOptions = {},
  ): Promise<boolean> {
    // A new room starts with no members, read marks or mentions: any left
    // under its id (a join that committed after an earlier room's
    // deletion) go in the same transaction.
    return await this.#guard(begin(this.sql, async (tx) => {
      const rows = await tx`
        INSERT INTO rooms (id, created_by, creator_name, created_from,
          created_at, kind, topic)
        VALUES (${id}, ${by.owner ?? null}, ${by.name ?? null},
          ${by.from ?? null}, ${this.#now()}, ${options.kind ?? "public"},
          ${options.topic || null})
        ON CONFLICT (id) DO NOTHING
        RETURNING id`;
      if (rows.length === 0) return false;
      await tx`DELETE FROM room_members WHERE room = ${id}`;
      await tx`DELETE FROM room_member_counts WHERE room = ${id}`;
      await tx`DELETE FROM read_state WHERE room = ${id}`;
      await tx`DELETE FROM mentions WHERE room = ${id}`;
      await tx`DELETE FROM closed_dms WHERE room = ${id}`;
      return true;
    }));
  }

  async deleteRoom(
    id: string,
    options: { onlyIfEmpty?: boolean } = {},
  ): Promise<boolean> {
    // What was queued for the room before is written, so it goes with it;
    // a room made again under the id sheds anything that came later.
    await Promise.all([this.members.settled(), this.reads.settled()]);
    return await this.#guard(begin(this.sql, async (tx) => {
      const room = await tx`SELECT id FROM rooms WHERE id = ${id} FOR UPDATE`;
      if (room.length === 0) return false;
      // Locks the room's counter row the way a send's commit does, creating
      // it for a room that never had a message: a send either committed
      // before (it is counted, and its message deleted below) or waits for
      // this to end. Locking only an existing row left a first send free
      // to commit between the deletions, its message kept without its
      // counter, so the room re-created later refused every send.
      const [counter] = await tx<{ last_id: number }[]>`
        INSERT INTO room_counters AS c (room, last_id) VALUES (${id}, 0)
        ON CONFLICT (room) DO UPDATE SET last_id = c.last_id
        RETURNING last_id`;
      if (options.onlyIfEmpty && Number(counter.last_id) > 0) return false;
      await tx`DELETE FROM rooms WHERE id = ${id}`;
      await tx`DELETE FROM messages WHERE room = ${id}`;
      await tx`DELETE FROM room_counters WHERE room = ${id}`;
      await tx`DELETE FROM room_members WHERE room = ${id}`;
      await tx`DELETE FROM room_member_counts WHERE room = ${id}`;
      await tx`DELETE FROM read_state WHERE room = ${id}`;
      await tx`DELETE FROM mentions WHERE room = ${id}`;
      await tx`DELETE FROM thread_participants WHERE room = ${id}`;
      await tx`DELETE FROM closed_dms WHERE room = ${id}`;
      await releaseUsage(
        tx,
        await tx<{ owner: string; size: number }[]>`
          DELETE FROM files WHERE room = ${id} RETURNING owner, size`,
      );
      return true;
    }));
  }

  async setTopic(id: string, topic: string | undefined): Promise<boolean> {
    const rows = await this.#guard(this.sql`
      UPDATE rooms SET topic = ${topic || null} WHERE id = ${id} RETURNING id`);
    return rows.length === 1;
  }

  async room(id: string): Promise<StoredRoom | null> {
    const rows = await this.#guard(this.sql<RoomRow[]>`
      SELECT id, created_by AS "createdBy", created_at AS "createdAt", kind,
        topic
      FROM rooms WHERE id = ${id}`);
    return rows[0] ? toRoom(rows[0]) : null;
  }

  async rooms(): Promise<StoredRoom[]> {
    const rows = await this.#guard(this.sql<RoomRow[]>`
      SELECT id, created_by AS "createdBy", created_at AS "createdAt", kind,
        topic
      FROM rooms ORDER BY created_at, id COLLATE "C"`);
    return rows.map(toRoom);
  }

  async publicRooms(options: PublicRoomsOptions): Promise<RoomPage> {
    const limit = Math.max(1, Math.floor(options.limit));
    const prefix = options.prefix ?? "";
    // A range of the index rooms_public (byte order): a prefix is a range.
    const rows = await this.#guard(this.sql<RoomRow[]>`
      SELECT id, created_by AS "createdBy", created_at AS "createdAt", kind,
        topic
      FROM rooms
      WHERE kind = 'public' AND id COLLATE "C" > ${options.after ?? ""}
        AND id COLLATE "C" >= ${prefix}
        AND id COLLATE "C" < ${prefixEnd(prefix)}
      ORDER BY id COLLATE "C" LIMIT ${limit + 1}`);
    const rooms = rows.slice(0, limit).map(toRoom);
    return rows.length > limit
      ? { rooms, next: rooms[limit - 1].id }
      : { rooms };
  }

  async roomsCreatedBy(user: string): Promise<number> {
    const rows = await this.#guard(this.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM rooms WHERE creator_name = ${user}`);
    return rows[0].n;
  }

  async roomsCreatedFrom(address: string): Promise<number> {
    const rows = await this.#guard(this.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM rooms WHERE created_from = ${address}`);
    return rows[0].n;
  }

  async healthy(): Promise<boolean> {
    if (this.#down) return false;
    await this.#guard(this.sql`SELECT 1`);
    return true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([
      this.#appends.idle(),
      this.members.idle(),
      this.reads.idle(),
      this.reactions.idle(),
      this.search.idle(),
    ]);
    await this.#wire?.close();
    await this.sql.end({ timeout: 5 });
  }
}

/**
 * Connects, applies pending migrations and returns the store. A URL that
 * leads nowhere throws {@link StoreOpenError} with one line saying why.
 *
 * @example
 * ```ts
 * const store = await openPostgresStore({
 *   url: "postgres://chat@127.0.0.1:5432/chat",
 *   poolSize: 10,
 *   historyLimit: 10_000,
 * });
 * ```
 */
export async function openPostgresStore(
  options: PostgresStoreOptions,
): Promise<PostgresStore> {
  const pool = renewablePool(() => connect(options.url, options.poolSize));
  const sql = pool.db;
  try {
    await firstAnswer(() => sql`SELECT 1`, FIRST_ANSWER_MS);
    await migrate(sql);
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => {});
    const reason = error instanceof Error ? error.message : String(error);
    throw new StoreOpenError(
      `DATABASE_URL: cannot use PostgreSQL at ${redactUrl(options.url)}: ${
        reason.split("\n")[0]
      }`,
    );
  }
  const appends = await wireAppends(options);
  const store = new PostgresStore(sql, {
    ...options,
    appends,
    renew: () => pool.renew(),
  });
  store.search.catchUp();
  return store;
}

/**
 * How long the start waits for PostgreSQL's first answer. The client's own
 * connect timeout covers a connection that doesn't open; this, a server
 * that takes it and then answers nothing of use.
 */
const FIRST_ANSWER_MS = 15_000;

/**
 * Runs `query` (the first one), failing it when nothing answers within
 * `ms`, or when the client fails outside any query, as it does on an
 * answer that isn't PostgreSQL's (it would otherwise end the process with
 * a stack trace).
 */
async function firstAnswer<T>(query: () => Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onError: ((e: Event) => void) | undefined;
  const failed = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${ms / 1000} s`)),
      ms,
    );
    onError = (e: Event) => {
      const error = (e as PromiseRejectionEvent).reason ??
        (e as ErrorEvent).error;
      // The client's own code (any install layout: node_modules, cache).
      if (!/[/\\]postgres[/\\@][^\n]*src[/\\]/.test(String(error?.stack))) {
        return;
      }
      e.preventDefault();
      reject(new Error(`its answer is not PostgreSQL's (${error?.message})`));
    };
    addEventListener("unhandledrejection", onError);
    addEventListener("error", onError);
  });
  try {
    return await Promise.race([query(), failed]);
  } finally {
    clearTimeout(timer);
    removeEventListener("unhandledrejection", onError!);
    removeEventListener("error", onError!);
  }
}

/**
 * The lean connection for sends' commits (`postgres_wire.ts`), connected
 * and prepared; or none, logged once, when the URL asks for what it does
 * not do (TLS, say) or it fails where the pool just connected.
 */
async function wireAppends(
  options: PostgresStoreOptions,
): Promise<WireStatement | undefined> {
  let statement: WireStatement | undefined;
  try {
    statement = new WireStatement(
      wireTarget(options.url),
      "chat_append_batch",
      APPEND_SQL,
    );
    await statement.ready();
    return statement;
  } catch (error) {
    await statement?.close();
    (options.logger ?? logger("store")).info(
      "sends commit through the postgres client's pool: {reason}",
      { reason: error instanceof Error ? error.message : String(error) },
    );
    return undefined;
  }
}
