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
