/**
 * The PostgreSQL schema as numbered migrations, applied at start inside one
 * transaction holding an advisory lock, so instances starting together
 * apply each migration exactly once. A migration is never edited once
 * released; a change is a new migration.
 *
 * @module
 */
import type { Sql } from "postgres";

/** One step of the schema. */
export interface Migration {
  /** Its number; applied in ascending order. */
  version: number;
  /** What it does, recorded with it. */
  name: string;
  /** The DDL: constant text, no values from outside. */
  sql: string;
}

/**
 * The advisory lock key of `bus_listeners` ("chatlstn" in ASCII): shared by
 * commits of sends, exclusive for a bus registering.
 */
export const LISTENERS_LOCK_KEY = 0x636861746c73746en;

/** Every migration, in order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "messages, rooms, accounts, sessions, name holds, bans, roles",
    sql: `
      CREATE TABLE rooms (
        id text PRIMARY KEY,
        created_by text,
        creator_name text,
        created_from text,
        created_at bigint NOT NULL
      );
      CREATE INDEX rooms_creator_name ON rooms (creator_name);
      CREATE INDEX rooms_created_from ON rooms (created_from);
      -- One row per room holding its last id: taking the row lock in the
      -- inserting transaction gives ids without gaps or races.
      CREATE TABLE room_counters (
        room text PRIMARY KEY,
        last_id bigint NOT NULL
      );
      CREATE TABLE messages (
        room text NOT NULL,
        id bigint NOT NULL,
        user_name text NOT NULL,
        text text NOT NULL,
        ts bigint NOT NULL,
        client_id text,
        -- Who sent it: the guest's identity, else the name; keys idempotency.
        sender text NOT NULL,
        -- Kept for guests only, so a guest may edit after a restart.
        author text,
        guest boolean NOT NULL DEFAULT false,
        edited boolean NOT NULL DEFAULT false,
        deleted boolean NOT NULL DEFAULT false,
        PRIMARY KEY (room, id)
      );
      -- The idempotency keys: a resend finds the original through it.
      CREATE UNIQUE INDEX messages_client_id
        ON messages (room, sender, client_id) WHERE client_id IS NOT NULL;
      CREATE TABLE accounts (
        key text PRIMARY KEY,
        name text NOT NULL,
        password_hash text NOT NULL,
        created_at bigint NOT NULL
      );
      CREATE TABLE login_sessions (
        digest text PRIMARY KEY,
        user_name text NOT NULL,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL
      );
      CREATE INDEX login_sessions_expires_at ON login_sessions (expires_at);
      CREATE TABLE name_holds (
        name text PRIMARY KEY,
        holder text NOT NULL,
        until bigint NOT NULL
      );
      CREATE TABLE bans (
        room text NOT NULL,
        user_name text NOT NULL,
        until bigint NOT NULL,
        PRIMARY KEY (room, user_name)
      );
      CREATE TABLE admin_grants (
        key text PRIMARY KEY,
        name text NOT NULL,
        account_created_at bigint NOT NULL,
        granted_at bigint NOT NULL
      );
      CREATE TABLE admin_listed (
        key text PRIMARY KEY,
        first_listed bigint NOT NULL
      );
      -- Bus events too large for a NOTIFY payload travel by reference.
      CREATE TABLE bus_spill (
        id bigserial PRIMARY KEY,
        payload text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 2,
    name: "presence for the PostgreSQL bus",
    sql: `
      CREATE TABLE bus_instances (
        instance text PRIMARY KEY,
        alive_until timestamptz NOT NULL
      );
      CREATE TABLE bus_presence (
        instance text NOT NULL,
        room text NOT NULL,
        users text NOT NULL,
        PRIMARY KEY (room, instance)
      );
      CREATE INDEX bus_presence_instance ON bus_presence (instance);
    `,
  },
  {
    version: 3,
    name: "account skeletons; sessions by user",
    sql: `
      -- The confusable skeleton of the name (UTS #39): look-alikes collide.
      ALTER TABLE accounts ADD COLUMN skeleton text;
      CREATE UNIQUE INDEX accounts_skeleton ON accounts (skeleton);
      CREATE INDEX login_sessions_user ON login_sessions (user_name);
    `,
  },
  {
    version: 4,
    name: "chat_append: a batch of sends in one statement",
    sql: `
      -- Stores a batch of sends (of any rooms) in one statement, so a batch
      -- costs one round trip and its implicit transaction commits before the
      -- result reaches the caller. Each room's counter row is locked first,
      -- in room order (no deadlocks between instances), and advanced once per
      -- stored message in the same transaction: ids have no gaps. A send
      -- whose (room, sender, client_id) is stored already, in an earlier
      -- batch or earlier in this one, returns the original.
      CREATE FUNCTION chat_append(
        p_room text[], p_user text[], p_text text[], p_ts bigint,
        p_client text[], p_sender text[], p_author text[], p_guest boolean[]
      ) RETURNS TABLE (
        idx int, id bigint, user_name text, text text, ts bigint,
        client_id text, guest boolean, edited boolean, deleted boolean,
        duplicate boolean
      ) LANGUAGE plpgsql AS $fn$
      DECLARE
        i int;
        next_id bigint;
        prior messages%ROWTYPE;
      BEGIN
        INSERT INTO room_counters AS c (room, last_id)
          SELECT r, 0 FROM (SELECT DISTINCT unnest(p_room) AS r) s ORDER BY r
          ON CONFLICT (room) DO UPDATE SET last_id = c.last_id;
        FOR i IN 1 .. coalesce(array_length(p_room, 1), 0) LOOP
          IF p_client[i] IS NOT NULL THEN
            SELECT * INTO prior FROM messages m
              WHERE m.room = p_room[i] AND m.sender = p_sender[i]
                AND m.client_id = p_client[i];
            IF FOUND THEN
              idx := i; id := prior.id; user_name := prior.user_name;
              text := prior.text; ts := prior.ts; client_id := prior.client_id;
              guest := prior.guest; edited := prior.edited;
              deleted := prior.deleted; duplicate := true;
              RETURN NEXT;
              CONTINUE;
            END IF;
          END IF;
          UPDATE room_counters c SET last_id = c.last_id + 1
            WHERE c.room = p_room[i] RETURNING c.last_id INTO next_id;
          INSERT INTO messages AS m (room, id, user_name, text, ts, client_id,
              sender, author, guest)
            VALUES (p_room[i], next_id, p_user[i], p_text[i], p_ts,
              p_client[i], p_sender[i], p_author[i], p_guest[i]);
          idx := i; id := next_id; user_name := p_user[i]; text := p_text[i];
          ts := p_ts; client_id := p_client[i]; guest := p_guest[i];
          edited := false; deleted := false; duplicate := false;
          RETURN NEXT;
        END LOOP;
      END
      $fn$;
    `,
  },
  {
    version: 5,
    name: "room kinds and topics; members, read state, mentions",
    sql: `
      ALTER TABLE rooms ADD COLUMN kind text NOT NULL DEFAULT 'public'
        CHECK (kind IN ('public', 'private', 'dm'));
      ALTER TABLE rooms ADD COLUMN topic text;
      -- The directory pages public rooms by id in byte order.
      CREATE INDEX rooms_public ON rooms (id COLLATE "C")
        WHERE kind = 'public';
      -- Keys compare bytewise ("C"), as in Deno KV, so pages agree.
      CREATE TABLE room_members (
        room text NOT NULL,
        key text COLLATE "C" NOT NULL,
        name text NOT NULL,
        guest boolean NOT NULL,
        joined_at bigint NOT NULL,
        -- The name folded (lib/shared/names.ts), so mentions find guests.
        name_fold text NOT NULL,
        PRIMARY KEY (room, key)
      );
      CREATE INDEX room_members_key ON room_members (key, room COLLATE "C");
      CREATE INDEX room_members_name ON room_members (room, name_fold);
      -- Kept in the transaction that adds or removes: a count is one row.
      CREATE TABLE room_member_counts (
        room text PRIMARY KEY,
        members bigint NOT NULL
      );
      CREATE TABLE read_state (
        room text NOT NULL,
        key text NOT NULL,
        last_read bigint NOT NULL,
        PRIMARY KEY (room, key)
      );
      CREATE TABLE mentions (
        room text NOT NULL,
        key text NOT NULL,
        id bigint NOT NULL,
        PRIMARY KEY (room, key, id)
      );
    `,
  },
  {
    version: 6,
    name: "messages.event: stored membership events",
    sql: `
      -- "mina and 2 others joined": written by the server, user_name ''.
      ALTER TABLE messages ADD COLUMN event jsonb;
    `,
  },
  {
    version: 7,
    name: "chat_append stores membership events in the same statement",
    sql: `
      -- As migration 4's chat_append, with each send's membership event
      -- (p_event, null for a plain message) stored in the same statement, so
      -- an event is never committed without its record, nor its record
      -- written after others could read the message.
      DROP FUNCTION chat_append(text[], text[], text[], bigint, text[],
        text[], text[], boolean[]);
      CREATE FUNCTION chat_append(
        p_room text[], p_user text[], p_text text[], p_ts bigint,
        p_client text[], p_sender text[], p_author text[], p_guest boolean[],
        p_event jsonb[]
      ) RETURNS TABLE (
        idx int, id bigint, user_name text, text text, ts bigint,
        client_id text, guest boolean, edited boolean, deleted boolean,
        event jsonb, duplicate boolean
      ) LANGUAGE plpgsql AS $fn$
      DECLARE
        i int;
        next_id bigint;
        prior messages%ROWTYPE;
      BEGIN
        INSERT INTO room_counters AS c (room, last_id)
          SELECT r, 0 FROM (SELECT DISTINCT unnest(p_room) AS r) s ORDER BY r
          ON CONFLICT (room) DO UPDATE SET last_id = c.last_id;
        FOR i IN 1 .. coalesce(array_length(p_room, 1), 0) LOOP
          IF p_client[i] IS NOT NULL THEN
            SELECT * INTO prior FROM messages m
              WHERE m.room = p_room[i] AND m.sender = p_sender[i]
                AND m.client_id = p_client[i];
            IF FOUND THEN
              idx := i; id := prior.id; user_name := prior.user_name;
              text := prior.text; ts := prior.ts; client_id := prior.client_id;
              guest := prior.guest; edited := prior.edited;
              deleted := prior.deleted; event := prior.event;
              duplicate := true;
              RETURN NEXT;
              CONTINUE;
            END IF;
          END IF;
          UPDATE room_counters c SET last_id = c.last_id + 1
            WHERE c.room = p_room[i] RETURNING c.last_id INTO next_id;
          INSERT INTO messages AS m (room, id, user_name, text, ts, client_id,
              sender, author, guest, event)
            VALUES (p_room[i], next_id, p_user[i], p_text[i], p_ts,
              p_client[i], p_sender[i], p_author[i], p_guest[i], p_event[i]);
          idx := i; id := next_id; user_name := p_user[i]; text := p_text[i];
          ts := p_ts; client_id := p_client[i]; guest := p_guest[i];
          edited := false; deleted := false; event := p_event[i];
          duplicate := false;
          RETURN NEXT;
        END LOOP;
      END
      $fn$;
    `,
  },
  {
    version: 8,
    name: "message search: terms per message under a GIN index",
    sql: `
      -- A message's search terms (words, CJK characters and pairs), made by
      -- the app's tokenizer and written by the statement storing the
      -- message; rows go with their message.
      CREATE TABLE search_terms (
        room text NOT NULL,
        id bigint NOT NULL,
        ts bigint NOT NULL,
        terms text[] NOT NULL,
        PRIMARY KEY (room, id),
        FOREIGN KEY (room, id) REFERENCES messages (room, id)
          ON DELETE CASCADE
      );
      CREATE INDEX search_terms_terms ON search_terms USING gin (terms);
      -- Newest first, the order of results: a common term scans these
      -- (all of a reader's rooms, or one room) instead of the GIN index.
      CREATE INDEX search_terms_order
        ON search_terms (ts DESC, room COLLATE "C" DESC, id DESC);
      CREATE INDEX search_terms_room_order
        ON search_terms (room, ts DESC, id DESC);
    `,
  },
  {
    version: 9,
    name: "uploaded files in chunks; messages.file; chat_append stores it",
    sql: `
      CREATE TABLE files (
        id text PRIMARY KEY,
        room text NOT NULL,
        -- The uploader's member key; quotas count by it.
        owner text NOT NULL,
        name text NOT NULL,
        size bigint NOT NULL,
        declared_type text NOT NULL,
        purpose text NOT NULL CHECK (purpose IN ('file', 'thumbnail')),
        thumbnail text,
        received bigint NOT NULL DEFAULT 0,
        created_at bigint NOT NULL,
        complete boolean NOT NULL DEFAULT false,
        -- Sniffed from the bytes once complete.
        type text,
        width integer,
        height integer,
        message bigint
      );
      CREATE INDEX files_room ON files (room);
      -- A file's bytes in order, each row at most 60 KiB, as in Deno KV.
      CREATE TABLE file_chunks (
        file text NOT NULL REFERENCES files (id) ON DELETE CASCADE,
        idx integer NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (file, idx)
      );
      -- Declared sizes per owner, moved in the transaction that creates or
      -- deletes a file: a quota check is one conditional row update.
      CREATE TABLE file_usage (
        owner text PRIMARY KEY,
        bytes bigint NOT NULL
      );
      -- The file an upload's message refers to.
      ALTER TABLE messages ADD COLUMN file jsonb;
      -- As migration 7's chat_append, with each send's file (p_file, null
      -- for most) stored in the same statement as its message.
      DROP FUNCTION chat_append(text[], text[], text[], bigint, text[],
        text[], text[], boolean[], jsonb[]);
      CREATE FUNCTION chat_append(
        p_room text[], p_user text[], p_text text[], p_ts bigint,
        p_client text[], p_sender text[], p_author text[], p_guest boolean[],
        p_event jsonb[], p_file jsonb[]
      ) RETURNS TABLE (
        idx int, id bigint, user_name text, text text, ts bigint,
        client_id text, guest boolean, edited boolean, deleted boolean,
        event jsonb, file jsonb, duplicate boolean
      ) LANGUAGE plpgsql AS $fn$
      DECLARE
        i int;
        next_id bigint;
        prior messages%ROWTYPE;
      BEGIN
        INSERT INTO room_counters AS c (room, last_id)
          SELECT r, 0 FROM (SELECT DISTINCT unnest(p_room) AS r) s ORDER BY r
          ON CONFLICT (room) DO UPDATE SET last_id = c.last_id;
        FOR i IN 1 .. coalesce(array_length(p_room, 1), 0) LOOP
          IF p_client[i] IS NOT NULL THEN
            SELECT * INTO prior FROM messages m
              WHERE m.room = p_room[i] AND m.sender = p_sender[i]
                AND m.client_id = p_client[i];
            IF FOUND THEN
              idx := i; id := prior.id; user_name := prior.user_name;
              text := prior.text; ts := prior.ts; client_id := prior.client_id;
              guest := prior.guest; edited := prior.edited;
              deleted := prior.deleted; event := prior.event;
              file := prior.file; duplicate := true;
              RETURN NEXT;
              CONTINUE;
            END IF;
          END IF;
          UPDATE room_counters c SET last_id = c.last_id + 1
            WHERE c.room = p_room[i] RETURNING c.last_id INTO next_id;
          INSERT INTO messages AS m (room, id, user_name, text, ts, client_id,
              sender, author, guest, event, file)
            VALUES (p_room[i], next_id, p_user[i], p_text[i], p_ts,
              p_client[i], p_sender[i], p_author[i], p_guest[i], p_event[i],
              p_file[i]);
          idx := i; id := next_id; user_name := p_user[i]; text := p_text[i];
          ts := p_ts; client_id := p_client[i]; guest := p_guest[i];
          edited := false; deleted := false; event := p_event[i];
          file := p_file[i]; duplicate := false;
          RETURN NEXT;
        END LOOP;
      END
      $fn$;
    `,
  },
  {
    version: 10,
    name: "threads: messages.parent, also_in_room, thread; participants",
    sql: `
      -- A reply is a message with the id of its thread's first message; the
      -- first message keeps its thread's summary (count, newest, repliers).
      ALTER TABLE messages ADD COLUMN parent bigint,
        ADD COLUMN also_in_room boolean NOT NULL DEFAULT false,
        ADD COLUMN thread jsonb;
      CREATE INDEX messages_thread ON messages (room, parent, id)
        WHERE parent IS NOT NULL;
      CREATE TABLE thread_participants (
        room text NOT NULL,
        parent bigint NOT NULL,
        key text NOT NULL,
        PRIMARY KEY (room, parent, key)
      );
      -- As migration 9's chat_append, with each send's parent (null for a
      -- message that is no reply) and whether it shows in the room too; the
      -- first message's summary moves in the same statement.
      DROP FUNCTION chat_append(text[], text[], text[], bigint, text[],
        text[], text[], boolean[], jsonb[], jsonb[]);
      CREATE FUNCTION chat_append(
        p_room text[], p_user text[], p_text text[], p_ts bigint,
        p_client text[], p_sender text[], p_author text[], p_guest boolean[],
        p_event jsonb[], p_file jsonb[], p_parent bigint[], p_also boolean[]
      ) RETURNS TABLE (
        idx int, id bigint, user_name text, text text, ts bigint,
        client_id text, guest boolean, edited boolean, deleted boolean,
        event jsonb, file jsonb, parent bigint, also_in_room boolean,
        thread jsonb, duplicate boolean
      ) LANGUAGE plpgsql AS $fn$
      DECLARE
        i int;
        next_id bigint;
        prior messages%ROWTYPE;
      BEGIN
        INSERT INTO room_counters AS c (room, last_id)
          SELECT r, 0 FROM (SELECT DISTINCT unnest(p_room) AS r) s ORDER BY r
          ON CONFLICT (room) DO UPDATE SET last_id = c.last_id;
        FOR i IN 1 .. coalesce(array_length(p_room, 1), 0) LOOP
          IF p_client[i] IS NOT NULL THEN
            SELECT * INTO prior FROM messages m
              WHERE m.room = p_room[i] AND m.sender = p_sender[i]
                AND m.client_id = p_client[i];
            IF FOUND THEN
              idx := i; id := prior.id; user_name := prior.user_name;
              text := prior.text; ts := prior.ts; client_id := prior.client_id;
              guest := prior.guest; edited := prior.edited;
              deleted := prior.deleted; event := prior.event;
              file := prior.file; parent := prior.parent;
              also_in_room := prior.also_in_room; thread := prior.thread;
              duplicate := true;
              RETURN NEXT;
              CONTINUE;
            END IF;
          END IF;
          UPDATE room_counters c SET last_id = c.last_id + 1
            WHERE c.room = p_room[i] RETURNING c.last_id INTO next_id;
          INSERT INTO messages AS m (room, id, user_name, text, ts, client_id,
              sender, author, guest, event, file, parent, also_in_room)
            VALUES (p_room[i], next_id, p_user[i], p_text[i], p_ts,
              p_client[i], p_sender[i], p_author[i], p_guest[i], p_event[i],
              p_file[i], p_parent[i], coalesce(p_also[i], false));
          IF p_parent[i] IS NOT NULL THEN
            UPDATE messages m SET thread = jsonb_build_object(
                'replies', coalesce((m.thread->>'replies')::bigint, 0) + 1,
                'lastId', next_id,
                'lastTs', p_ts,
                'users', to_jsonb((array_prepend(p_user[i], array_remove(
                  ARRAY(SELECT jsonb_array_elements_text(
                    coalesce(m.thread->'users', '[]'::jsonb))),
                  p_user[i])))[1:5]))
              WHERE m.room = p_room[i] AND m.id = p_parent[i];
          END IF;
          idx := i; id := next_id; user_name := p_user[i]; text := p_text[i];
          ts := p_ts; client_id := p_client[i]; guest := p_guest[i];
          edited := false; deleted := false; event := p_event[i];
          file := p_file[i]; parent := p_parent[i];
          also_in_room := coalesce(p_also[i], false); thread := null;
          duplicate := false;
          RETURN NEXT;
        END LOOP;
      END
      $fn$;
    `,
  },
  {
    version: 11,
    name: "reactions and pins",
    sql: `
      -- One row per person, emoji and message; removed with the message
      -- (retention, room deletion).
      CREATE TABLE reactions (
        room text NOT NULL,
        id bigint NOT NULL,
        emoji text NOT NULL,
        -- The member key (authorKey) of who reacted.
        member text NOT NULL,
        name text NOT NULL,
        ts bigint NOT NULL,
        PRIMARY KEY (room, id, emoji, member),
        FOREIGN KEY (room, id) REFERENCES messages (room, id) ON DELETE CASCADE
      );
      CREATE TABLE pins (
        room text NOT NULL,
        id bigint NOT NULL,
        pinned_by text NOT NULL,
        ts bigint NOT NULL,
        PRIMARY KEY (room, id),
        FOREIGN KEY (room, id) REFERENCES messages (room, id) ON DELETE CASCADE
      );
    `,
  },
  {
    version: 12,
    name: "room members found by the start of their folded name",
    sql: `
      -- "@mi" completes to members whose folded name starts with "mi": with
      -- the pattern operator class a prefix is a range of the index (byte
      -- order, whatever the database's collation), in name order. Equality
      -- (mentions) uses it too, so it replaces migration 5's index.
      CREATE INDEX room_members_name_prefix
        ON room_members (room, name_fold text_pattern_ops, key);
      DROP INDEX room_members_name;
    `,
  },
  {
    version: 13,
    name: "bus listeners, read by each send's commit",
    sql: `
      -- The PostgreSQL buses listening now, by process tag. A commit of
      -- sends reads them under a shared advisory lock ("chatlstn"); a bus
      -- registers under the exclusive one, so it waits for the commits in
      -- flight, and every later commit sees it. A bus that finds only
      -- itself in its commit's list need not notify the message: whoever
      -- registers afterwards reads it from history.
      CREATE TABLE bus_listeners (
        tag text PRIMARY KEY,
        beat_at timestamptz NOT NULL DEFAULT now()
      );
      -- VOLATILE: its query takes a snapshot after the lock is granted.
      CREATE FUNCTION chat_listeners() RETURNS text
        LANGUAGE plpgsql VOLATILE AS $fn$
      BEGIN
        PERFORM pg_advisory_xact_lock_shared(${LISTENERS_LOCK_KEY});
        RETURN coalesce(
          (SELECT string_agg(tag, ' ' ORDER BY tag) FROM bus_listeners), '');
      END
      $fn$;
    `,
  },
  {
    version: 14,
    name: "chat_append locks thread roots in order",
    sql: `
      -- As migration 10's chat_append (same signature, so instances still
      -- running the version before keep working), with the thread roots of
      -- a batch's replies locked up front in (room, id) order.
      CREATE OR REPLACE FUNCTION chat_append(
        p_room text[], p_user text[], p_text text[], p_ts bigint,
        p_client text[], p_sender text[], p_author text[], p_guest boolean[],
        p_event jsonb[], p_file jsonb[], p_parent bigint[], p_also boolean[]
      ) RETURNS TABLE (
        idx int, id bigint, user_name text, text text, ts bigint,
        client_id text, guest boolean, edited boolean, deleted boolean,
        event jsonb, file jsonb, parent bigint, also_in_room boolean,
        thread jsonb, duplicate boolean
      ) LANGUAGE plpgsql AS $fn$
      DECLARE
        i int;
        next_id bigint;
        prior messages%ROWTYPE;
      BEGIN
        INSERT INTO room_counters AS c (room, last_id)
          SELECT r, 0 FROM (SELECT DISTINCT unnest(p_room) AS r) s ORDER BY r
          ON CONFLICT (room) DO UPDATE SET last_id = c.last_id;
        -- The thread roots updated below, locked first in (room, id) order,
        -- the order reactions lock messages in: otherwise a batch of
        -- replies to two roots and a batch of reactions to both could each
        -- hold one and wait for the other.
        PERFORM 1 FROM messages m
          WHERE (m.room, m.id) IN (
            SELECT u.r, u.p FROM unnest(p_room, p_parent) AS u(r, p)
            WHERE u.p IS NOT NULL)
          ORDER BY m.room COLLATE "C", m.id
          FOR NO KEY UPDATE;
        FOR i IN 1 .. coalesce(array_length(p_room, 1), 0) LOOP
          IF p_client[i] IS NOT NULL THEN
            SELECT * INTO prior FROM messages m
              WHERE m.room = p_room[i] AND m.sender = p_sender[i]
                AND m.client_id = p_client[i];
            IF FOUND THEN
              idx := i; id := prior.id; user_name := prior.user_name;
              text := prior.text; ts := prior.ts; client_id := prior.client_id;
              guest := prior.guest; edited := prior.edited;
              deleted := prior.deleted; event := prior.event;
              file := prior.file; parent := prior.parent;
              also_in_room := prior.also_in_room; thread := prior.thread;
              duplicate := true;
              RETURN NEXT;
              CONTINUE;
            END IF;
          END IF;
          UPDATE room_counters c SET last_id = c.last_id + 1
            WHERE c.room = p_room[i] RETURNING c.last_id INTO next_id;
          INSERT INTO messages AS m (room, id, user_name, text, ts, client_id,
              sender, author, guest, event, file, parent, also_in_room)
            VALUES (p_room[i], next_id, p_user[i], p_text[i], p_ts,
              p_client[i], p_sender[i], p_author[i], p_guest[i], p_event[i],
              p_file[i], p_parent[i], coalesce(p_also[i], false));
          IF p_parent[i] IS NOT NULL THEN
            UPDATE messages m SET thread = jsonb_build_object(
                'replies', coalesce((m.thread->>'replies')::bigint, 0) + 1,
                'lastId', next_id,
                'lastTs', p_ts,
                'users', to_jsonb((array_prepend(p_user[i], array_remove(
                  ARRAY(SELECT jsonb_array_elements_text(
                    coalesce(m.thread->'users', '[]'::jsonb))),
                  p_user[i])))[1:5]))
              WHERE m.room = p_room[i] AND m.id = p_parent[i];
          END IF;
          idx := i; id := next_id; user_name := p_user[i]; text := p_text[i];
          ts := p_ts; client_id := p_client[i]; guest := p_guest[i];
          edited := false; deleted := false; event := p_event[i];
          file := p_file[i]; parent := p_parent[i];
          also_in_room := coalesce(p_also[i], false); thread := null;
          duplicate := false;
          RETURN NEXT;
        END LOOP;
      END
      $fn$;
    `,
  },
  {
    version: 15,
    name: "files posted to a thread",
    sql: `
      -- A file uploaded from a thread is posted as a reply to the thread's
      -- first message (parent), shown in the room too when also_in_room.
      ALTER TABLE files ADD COLUMN parent bigint,
        ADD COLUMN also_in_room boolean NOT NULL DEFAULT false;
    `,
  },
  {
    version: 16,
    name: "thumbnails claimed by their files; the sweep's index",
    sql: `
      -- A thumbnail no file has claimed yet is swept with abandoned uploads
      -- (its page closed before the file began). Rows stored before count
      -- as claimed.
      ALTER TABLE files ADD COLUMN claimed boolean NOT NULL DEFAULT true;
      -- What the sweep of abandoned uploads reads, oldest first.
      CREATE INDEX files_sweep ON files (created_at)
        WHERE NOT complete OR NOT claimed;
    `,
  },
  {
    version: 17,
    name: "sends that require their room",
    sql: `
      -- chat_append with one more argument: for each send, whether its
      -- room must exist as it commits. Those rooms are locked first
      -- (FOR KEY SHARE, in id order); a room's deletion locks its row FOR
      -- UPDATE before anything else, so it either committed before (the
      -- sends are refused, SQLSTATE CH404, and nothing is stored) or waits
      -- for them and deletes their messages with the room. The rooms that
      -- count are those the locking statement itself returned: a row
      -- deleted while it waited is skipped there, and a room made again
      -- under the id since is not in it. The twelve argument version stays
      -- for instances still running the one before (they take no lock).
      CREATE FUNCTION chat_append(
        p_room text[], p_user text[], p_text text[], p_ts bigint,
        p_client text[], p_sender text[], p_author text[], p_guest boolean[],
        p_event jsonb[], p_file jsonb[], p_parent bigint[], p_also boolean[],
        p_require boolean[]
      ) RETURNS TABLE (
        idx int, id bigint, user_name text, text text, ts bigint,
        client_id text, guest boolean, edited boolean, deleted boolean,
        event jsonb, file jsonb, parent bigint, also_in_room boolean,
        thread jsonb, duplicate boolean
      ) LANGUAGE plpgsql AS $fn$
      DECLARE
        held text[];
        gone text;
      BEGIN
        SELECT coalesce(array_agg(k.id), '{}') INTO held FROM (
          SELECT r.id FROM rooms r
            WHERE r.id IN (SELECT u.r FROM unnest(p_room, p_require)
              AS u(r, q) WHERE u.q)
            ORDER BY r.id COLLATE "C"
            FOR KEY SHARE) k;
        SELECT u.r INTO gone FROM unnest(p_room, p_require) AS u(r, q)
          WHERE u.q AND NOT u.r = ANY (held)
          LIMIT 1;
        IF gone IS NOT NULL THEN
          RAISE EXCEPTION 'No such room: %', gone USING ERRCODE = 'CH404';
        END IF;
        RETURN QUERY SELECT * FROM chat_append(p_room, p_user, p_text, p_ts,
          p_client, p_sender, p_author, p_guest, p_event, p_file, p_parent,
          p_also);
      END
      $fn$;
    `,
  },
  {
    version: 18,
    name: "mentions by message",
    sql: `
      -- A deleted message's mentions, and those retention removes, are
      -- found by message rather than read through the room's.
      CREATE INDEX mentions_by_message ON mentions (room, id);
    `,
  },
  {
    version: 19,
    name: "closed DMs",
    sql: `
      -- A DM someone closed, with the message id they closed it at: it is
      -- listed for them again once a newer message arrives.
      CREATE TABLE closed_dms (
        room text NOT NULL,
        key text NOT NULL,
        up_to bigint NOT NULL,
        PRIMARY KEY (room, key)
      );
      CREATE INDEX closed_dms_by_key ON closed_dms (key, room);
    `,
  },
];

/** The advisory lock key migrations run under ("chatmigr" in ASCII). */
const LOCK_KEY = 0x636861746d696772n;

/**
 * Applies the migrations `sql` lacks, under an advisory lock; returns the
 * versions it applied.
 */
export async function migrate(
  sql: Sql<Record<string, never>>,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  return await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${LOCK_KEY.toString()}::bigint)`;
    await tx`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`;
    const done = new Set(
      (await tx<{ version: number }[]>`SELECT version FROM schema_migrations`)
        .map((r) => r.version),
    );
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await tx.unsafe(m.sql);
      await tx`INSERT INTO schema_migrations (version, name)
        VALUES (${m.version}, ${m.name})`;
      applied.push(m.version);
    }
    return applied;
  });
}
