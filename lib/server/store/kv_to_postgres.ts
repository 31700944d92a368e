/**
 * Copies a Deno KV store into PostgreSQL, for a team moving from one machine
 * to several: rooms (with kind and topic), reactions and pins, message
 * history (with edits, deletions, guests' identities and idempotency keys),
 * each room's id counter, room members (and their counts), read state,
 * mentions, closed DMs, accounts, admin roles, live login sessions, bans and
 * uploaded files (with their bytes and quotas). Every row is inserted only if
 * absent, so a second run copies nothing and changes nothing. Run it before
 * the instances start on PostgreSQL.
 *
 * @module
 */
import type { ChatMessage } from "@/lib/shared/protocol.ts";
import { fold } from "@/lib/shared/names.ts";
import { nameKey } from "@/lib/server/chat/name_skeleton.ts";
import type { KvStore } from "./kv.ts";
import type { PostgresStore } from "./postgres.ts";
import type { Member, RoleGrant, StoredSession } from "./store.ts";
import { copyFiles } from "./kv_to_postgres_files.ts";

/** What a copy found in KV and how much of it was new to PostgreSQL. */
export interface CopyCounts {
  /** Per kind: rows read from KV, rows inserted into PostgreSQL. */
  [kind: string]: { read: number; copied: number };
}

/** Messages per INSERT. */
const BATCH = 500;

/**
 * Copies everything durable from `kv` into `pg`; returns counts per kind.
 *
 * @example
 * ```ts
 * const counts = await copyKvToPostgres(kvStore, pgStore);
 * console.log(counts.messages); // { read: 1200, copied: 1200 }
 * ```
 */
export async function copyKvToPostgres(
  kv: KvStore,
  pg: PostgresStore,
  now: number = Date.now(),
): Promise<CopyCounts> {
  const counts: CopyCounts = {};
  const count = (kind: string, read: number, copied: number) => {
    const c = counts[kind] ??= { read: 0, copied: 0 };
    c.read += read;
    c.copied += copied;
  };
  const sql = pg.sql;
  const db = kv.kv;

  // Rooms, with who created them and from where (the quotas count these).
  const creatorName = new Map<string, string>();
  const createdFrom = new Map<string, string>();
  for await (const e of db.list({ prefix: ["rooms_by"] })) {
    creatorName.set(String(e.key[2]), String(e.key[1]));
  }
  for await (const e of db.list({ prefix: ["rooms_from"] })) {
    createdFrom.set(String(e.key[2]), String(e.key[1]));
  }
  const rooms = await kv.rooms();
  if (rooms.length > 0) {
    const rows = await sql`
      INSERT INTO rooms (id, created_by, creator_name, created_from, created_at,
        kind, topic)
      SELECT * FROM unnest(
        ${rooms.map((r) => r.id)}::text[],
        ${rooms.map((r) => r.createdBy)}::text[],
        ${rooms.map((r) => creatorName.get(r.id) ?? null)}::text[],
        ${rooms.map((r) => createdFrom.get(r.id) ?? null)}::text[],
        ${rooms.map((r) => r.createdAt)}::bigint[],
        ${rooms.map((r) => r.kind)}::text[],
        ${rooms.map((r) => r.topic ?? null)}::text[]
      )
      ON CONFLICT (id) DO NOTHING RETURNING id`;
    count("rooms", rooms.length, rows.length);
  } else count("rooms", 0, 0);

  // Counters first: ids continue after the last one KV gave, kept or pruned.
  const counters: { room: string; last: number }[] = [];
  for await (const e of db.list<number>({ prefix: ["seq"] })) {
    counters.push({ room: String(e.key[1]), last: e.value });
  }
  if (counters.length > 0) {
    const rows = await sql`
      INSERT INTO room_counters (room, last_id)
      SELECT * FROM unnest(
        ${counters.map((c) => c.room)}::text[],
        ${counters.map((c) => c.last)}::bigint[]
      ) AS v(room, last_id)
      ON CONFLICT (room) DO UPDATE
        SET last_id = GREATEST(room_counters.last_id, excluded.last_id)
        WHERE room_counters.last_id < excluded.last_id
      RETURNING room`;
    count("room counters", counters.length, rows.length);
  } else count("room counters", 0, 0);

  // Messages, room by room in id order, in batches.
  const authors = new Map<string, string>();
  for await (const e of db.list<string>({ prefix: ["author"] })) {
    authors.set(`${String(e.key[1])}\u0000${String(e.key[2])}`, e.value);
  }
  /** (room, sender, clientId) already used: a key repeated after KV forgot it stays on the first. */
  const keys = new Set<string>();
  let batch: { m: ChatMessage; sender: string; author: string | null }[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const b = batch;
    batch = [];
    const rows = await sql`
      INSERT INTO messages (room, id, user_name, text, ts, client_id, sender,
        author, guest, edited, deleted, event, file, parent, also_in_room,
        thread)
      SELECT room, id, user_name, text, ts, client_id, sender, author,
        flags LIKE 'g%', flags LIKE '_e%', flags LIKE '__d', event::jsonb,
        file::jsonb, parent, also_in_room, thread::jsonb
      FROM unnest(
        ${b.map((x) => x.m.room)}::text[],
        ${b.map((x) => x.m.id)}::bigint[],
        ${b.map((x) => x.m.user)}::text[],
        ${b.map((x) => x.m.text)}::text[],
        ${b.map((x) => x.m.ts)}::bigint[],
        ${b.map((x) => x.m.clientId ?? null)}::text[],
        ${b.map((x) => x.sender)}::text[],
        ${b.map((x) => x.author)}::text[],
        ${
      b.map((x) =>
        (x.m.guest ? "g" : "-") + (x.m.edited ? "e" : "-") +
        (x.m.deleted ? "d" : "-")
      )
    }::text[],
        ${b.map((x) => x.m.event ? JSON.stringify(x.m.event) : null)}::text[],
        ${b.map((x) => x.m.file ? JSON.stringify(x.m.file) : null)}::text[],
        ${
      b.map((x) => x.m.parent === undefined ? null : String(x.m.parent))
    }::text[]::bigint[],
        ${b.map((x) => x.m.alsoInRoom ? "t" : "f")}::text[]::boolean[],
        ${b.map((x) => x.m.thread ? JSON.stringify(x.m.thread) : null)}::text[]
      ) AS v(room, id, user_name, text, ts, client_id, sender, author, flags,
        event, file, parent, also_in_room, thread)
      ON CONFLICT (room, id) DO NOTHING RETURNING id`;
    count("messages", b.length, rows.length);
  };
  count("messages", 0, 0);
  for await (const e of db.list<ChatMessage>({ prefix: ["msg"] })) {
    const m = { ...e.value };
    const author = m.guest
      ? authors.get(`${m.room}\u0000${m.id}`) ?? null
      : null;
    const sender = author ?? m.user;
    if (m.clientId !== undefined) {
      const key = `${m.room}\u0000${sender}\u0000${m.clientId}`;
      if (keys.has(key)) delete m.clientId;
      else keys.add(key);
    }
    batch.push({ m, sender, author });
    if (batch.length >= BATCH) await flush();
  }
  await flush();

  // Members, then each copied room's count recomputed from the rows.
  let members: { room: string; key: string; m: Omit<Member, "key"> }[] = [];
  const memberRooms = new Set<string>();
  const flushMembers = async () => {
    if (members.length === 0) return;
    const b = members;
    members = [];
    const rows = await sql`
      INSERT INTO room_members (room, key, name, guest, joined_at, name_fold)
      SELECT * FROM unnest(
        ${b.map((x) => x.room)}::text[],
        ${b.map((x) => x.key)}::text[],
        ${b.map((x) => x.m.name)}::text[],
        ${b.map((x) => x.m.guest ? "t" : "f")}::text[]::boolean[],
        ${b.map((x) => x.m.joinedAt)}::bigint[],
        ${b.map((x) => fold(x.m.name))}::text[]
      )
      ON CONFLICT (room, key) DO NOTHING RETURNING room`;
    count("members", b.length, rows.length);
  };
  count("members", 0, 0);
  for await (
    const e of db.list<Omit<Member, "key">>({ prefix: ["members"] })
  ) {
    const room = String(e.key[1]);
    memberRooms.add(room);
    members.push({ room, key: String(e.key[2]), m: e.value });
    if (members.length >= BATCH) await flushMembers();
  }
  await flushMembers();
  if (memberRooms.size > 0) {
    await sql`
      INSERT INTO room_member_counts AS c (room, members)
      SELECT room, count(*) FROM room_members
      WHERE room = ANY(${[...memberRooms]}::text[])
      GROUP BY room
      ON CONFLICT (room) DO UPDATE SET members = excluded.members
        WHERE c.members <> excluded.members`;
  }

  // Thread participants.
  let people: { room: string; parent: number; key: string }[] = [];
  const flushPeople = async () => {
    if (people.length === 0) return;
    const b = people;
    people = [];
    const rows = await sql`
      INSERT INTO thread_participants (room, parent, key)
      SELECT * FROM unnest(
        ${b.map((x) => x.room)}::text[],
        ${b.map((x) => x.parent)}::bigint[],
        ${b.map((x) => x.key)}::text[]
      )
      ON CONFLICT DO NOTHING RETURNING room`;
    count("thread participants", b.length, rows.length);
  };
  count("thread participants", 0, 0);
  for await (const e of db.list({ prefix: ["thread_people"] })) {
    people.push({
      room: String(e.key[1]),
      parent: Number(e.key[2]),
      key: String(e.key[3]),
    });
    if (people.length >= BATCH) await flushPeople();
  }
  await flushPeople();

  // Read state (only ever raised) and mentions.
  let reads: { room: string; key: string; id: number }[] = [];
  const flushReads = async () => {
    if (reads.length === 0) return;
    const b = reads;
    reads = [];
    const rows = await sql`
      INSERT INTO read_state AS r (room, key, last_read)
      SELECT * FROM unnest(
        ${b.map((x) => x.room)}::text[],
        ${b.map((x) => x.key)}::text[],
        ${b.map((x) => x.id)}::bigint[]
      )
      ON CONFLICT (room, key) DO UPDATE SET last_read = excluded.last_read
        WHERE r.last_read < excluded.last_read
      RETURNING room`;
    count("read state", b.length, rows.length);
  };
  count("read state", 0, 0);
  for await (const e of db.list<number>({ prefix: ["reads"] })) {
    reads.push({ room: String(e.key[1]), key: String(e.key[2]), id: e.value });
    if (reads.length >= BATCH) await flushReads();
  }
  await flushReads();
  let mentions: { room: string; key: string; id: number }[] = [];
  const flushMentions = async () => {
    if (mentions.length === 0) return;
    const b = mentions;
    mentions = [];
    const rows = await sql`
      INSERT INTO mentions (room, key, id)
      SELECT * FROM unnest(
        ${b.map((x) => x.room)}::text[],
        ${b.map((x) => x.key)}::text[],
        ${b.map((x) => x.id)}::bigint[]
      )
      ON CONFLICT DO NOTHING RETURNING room`;
    count("mentions", b.length, rows.length);
  };
  count("mentions", 0, 0);
  for await (const e of db.list({ prefix: ["mentions"] })) {
    mentions.push({
      room: String(e.key[1]),
      key: String(e.key[2]),
      id: Number(e.key[3]),
    });
    if (mentions.length >= BATCH) await flushMentions();
  }
  await flushMentions();

  // Closed DMs: few per person, one statement.
  const closed = await Array.fromAsync(
    db.list<number>({ prefix: ["dm_closed"] }),
    (e) => ({ room: String(e.key[1]), key: String(e.key[2]), upTo: e.value }),
  );
  const closedRows = closed.length === 0 ? [] : await sql`
    INSERT INTO closed_dms (room, key, up_to)
    SELECT * FROM unnest(
      ${closed.map((x) => x.room)}::text[],
      ${closed.map((x) => x.key)}::text[],
      ${closed.map((x) => x.upTo)}::bigint[]
    )
    ON CONFLICT DO NOTHING RETURNING room`;
  count("closed DMs", closed.length, closedRows.length);

  // Reactions (of messages still kept: the foreign key wants them) and pins.
  let reactions: {
    room: string;
    id: number;
    emoji: string;
    key: string;
    name: string;
    ts: number;
  }[] = [];
  const flushReactions = async () => {
    if (reactions.length === 0) return;
    const b = reactions;
    reactions = [];
    const rows = await sql`
      INSERT INTO reactions (room, id, emoji, member, name, ts)
      SELECT v.* FROM unnest(
        ${b.map((x) => x.room)}::text[],
        ${b.map((x) => x.id)}::bigint[],
        ${b.map((x) => x.emoji)}::text[],
        ${b.map((x) => x.key)}::text[],
        ${b.map((x) => x.name)}::text[],
        ${b.map((x) => x.ts)}::bigint[]
      ) AS v(room, id, emoji, member, name, ts)
      JOIN messages m ON m.room = v.room AND m.id = v.id
      ON CONFLICT DO NOTHING RETURNING room`;
    count("reactions", b.length, rows.length);
  };
  count("reactions", 0, 0);
  for await (
    const e of db.list<{ ts: number; name: string }>({ prefix: ["reaction"] })
  ) {
    reactions.push({
      room: String(e.key[1]),
      id: Number(e.key[2]),
      emoji: String(e.key[3]),
      key: String(e.key[4]),
      name: e.value.name,
      ts: e.value.ts,
    });
    if (reactions.length >= BATCH) await flushReactions();
  }
  await flushReactions();
  count("pins", 0, 0);
  for await (
    const e of db.list<{ id: number; by: string; ts: number }[]>({
      prefix: ["pins"],
    })
  ) {
    const room = String(e.key[1]);
    const rows = await sql`
      INSERT INTO pins (room, id, pinned_by, ts)
      SELECT v.* FROM unnest(
        ${e.value.map(() => room)}::text[],
        ${e.value.map((p) => p.id)}::bigint[],
        ${e.value.map((p) => p.by)}::text[],
        ${e.value.map((p) => p.ts)}::bigint[]
      ) AS v(room, id, pinned_by, ts)
      JOIN messages m ON m.room = v.room AND m.id = v.id
      ON CONFLICT DO NOTHING RETURNING room`;
    count("pins", e.value.length, rows.length);
  }

  // Accounts and the admin role bound to them.
  const accounts = await Array.fromAsync(kv.accounts.list());
  let copied = 0;
  for (const { key, account } of accounts) {
    // A look-alike of an earlier account keeps its row without a skeleton
    // (as `indexSkeletons` leaves it), rather than being lost.
    const skeleton = nameKey(account.name);
    const taken = (await pg.accounts.bySkeleton(skeleton)) !== null;
    if (await pg.accounts.insert(key, account, taken ? null : skeleton)) {
      copied++;
    }
  }
  count("accounts", accounts.length, copied);

  const grants = await kv.roles.list();
  copied = 0;
  for (const grant of grants) {
    if (await insertGrant(pg, fold(grant.name), grant)) copied++;
  }
  count("admin roles", grants.length, copied);
  const listed: { key: string; at: number }[] = [];
  for await (const e of db.list<number>({ prefix: ["roles", "listed"] })) {
    listed.push({ key: String(e.key[2]), at: e.value });
  }
  copied = 0;
  for (const { key, at } of listed) {
    const rows = await sql`
      INSERT INTO admin_listed (key, first_listed) VALUES (${key}, ${at})
      ON CONFLICT (key) DO NOTHING RETURNING key`;
    copied += rows.length;
  }
  count("admin listings", listed.length, copied);

  // Live sessions, so nobody is logged out by the move.
  const sessions: { digest: string; s: StoredSession }[] = [];
  for await (const e of db.list<StoredSession>({ prefix: ["sessions"] })) {
    if (e.value.expiresAt > now) {
      sessions.push({ digest: String(e.key[1]), s: e.value });
    }
  }
  copied = 0;
  for (const { digest, s } of sessions) {
    const rows = await sql`
      INSERT INTO login_sessions (digest, user_name, created_at, expires_at)
      VALUES (${digest}, ${s.user}, ${s.createdAt}, ${s.expiresAt})
      ON CONFLICT (digest) DO NOTHING RETURNING digest`;
    copied += rows.length;
  }
  count("login sessions", sessions.length, copied);

  const bans = await kv.bans.active(now);
  copied = 0;
  for (const ban of bans) {
    const rows = await sql`
      INSERT INTO bans (room, user_name, until)
      VALUES (${ban.room}, ${ban.user}, ${ban.until})
      ON CONFLICT (room, user_name) DO NOTHING RETURNING room`;
    copied += rows.length;
  }
  count("bans", bans.length, copied);

  const files = await copyFiles(db, pg);
  count("files", files.read, files.copied);
  return counts;
}

async function insertGrant(
  pg: PostgresStore,
  key: string,
  grant: RoleGrant,
): Promise<boolean> {
  const rows = await pg.sql`
    INSERT INTO admin_grants (key, name, account_created_at, granted_at)
    VALUES (${key}, ${grant.name}, ${grant.accountCreatedAt},
      ${grant.grantedAt})
    ON CONFLICT (key) DO NOTHING RETURNING key`;
  return rows.length === 1;
}
