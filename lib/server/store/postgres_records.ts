/**
 * Accounts, login sessions, name holds and bans in PostgreSQL: the records
 * of the storage contract besides messages and rooms.
 *
 * @module
 */
import type { Db } from "./postgres.ts";
import type {
  Account,
  AccountRecords,
  Ban,
  BanRecords,
  NameClaims,
  RoleGrant,
  RoleRecords,
  SessionRecords,
  StoredSession,
} from "./store.ts";
import { nameKey } from "@/lib/server/chat/name_skeleton.ts";
import { Batcher } from "./batcher.ts";
import { begin } from "./cancellable.ts";

/** How long the row of a lapsed name hold stays before it is deleted. */
const LAPSED_KEEP_MS = 60 * 60_000;
/** How often lapsed name holds are looked for. */
const PRUNE_EVERY_MS = 60_000;
/** Rows of lapsed holds deleted at most at a time. */
const PRUNE_LIMIT = 1000;

/** PostgreSQL's error code for a row a unique index refuses. */
const UNIQUE_VIOLATION = "23505";

/** Passes a query's promise through, noting connection failures. */
export type Guard = <T>(p: Promise<T>) => Promise<T>;

/** Accounts in `accounts`, keyed by folded name. */
export class PgAccounts implements AccountRecords {
  /** Creates the records over the pool. */
  constructor(readonly sql: Db, readonly guard: Guard) {}

  async get(key: string): Promise<Account | null> {
    const rows = await this.guard(this.sql<Account[]>`
      SELECT name, password_hash AS "passwordHash", created_at AS "createdAt"
      FROM accounts WHERE key = ${key}`);
    return rows[0] ? { ...rows[0] } : null;
  }

  async insert(
    key: string,
    account: Account,
    skeleton: string | null,
  ): Promise<boolean> {
    // Either unique constraint (key, skeleton) refuses the row.
    const rows = await this.guard(this.sql`
      INSERT INTO accounts (key, name, password_hash, created_at, skeleton)
      VALUES (${key}, ${account.name}, ${account.passwordHash},
        ${account.createdAt}, ${skeleton})
      ON CONFLICT DO NOTHING RETURNING key`);
    return rows.length === 1;
  }

  async bySkeleton(skeleton: string): Promise<string | null> {
    const rows = await this.guard(this.sql<{ name: string }[]>`
      SELECT name FROM accounts WHERE skeleton = ${skeleton}`);
    return rows[0]?.name ?? null;
  }

  async setSkeleton(key: string, skeleton: string): Promise<void> {
    try {
      await this.guard(this.sql`
        UPDATE accounts SET skeleton = ${skeleton}
        WHERE key = ${key} AND skeleton IS DISTINCT FROM ${skeleton}
          AND NOT EXISTS (
          SELECT 1 FROM accounts WHERE skeleton = ${skeleton})`);
    } catch (error) {
      // Another instance recorded it for a look-alike account between the
      // check and the write (both at start): that account keeps it.
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    }
  }

  async *list(): AsyncIterable<{ key: string; account: Account }> {
    const rows = await this.guard(this.sql<
      (Account & { key: string })[]
    >`SELECT key, name, password_hash AS "passwordHash",
        created_at AS "createdAt" FROM accounts ORDER BY key`);
    for (const { key, ...account } of rows) yield { key, account };
  }
}

/** Login sessions in `login_sessions`, keyed by the id's digest. */
export class PgSessions implements SessionRecords {
  /** Creates the records over the pool. */
  constructor(readonly sql: Db, readonly guard: Guard) {}

  async put(
    digest: string,
    session: StoredSession,
    replaces?: string,
  ): Promise<void> {
    await this.guard(begin(this.sql, async (tx) => {
      if (replaces) {
        await tx`DELETE FROM login_sessions WHERE digest = ${replaces}`;
      }
      await tx`
        INSERT INTO login_sessions (digest, user_name, created_at, expires_at)
        VALUES (${digest}, ${session.user}, ${session.createdAt},
          ${session.expiresAt})
        ON CONFLICT (digest) DO UPDATE SET user_name = excluded.user_name,
          created_at = excluded.created_at, expires_at = excluded.expires_at`;
      // Expired sessions go as new ones come, so the table stays small.
      await tx`DELETE FROM login_sessions
        WHERE expires_at < ${session.createdAt}`;
    }));
  }

  async get(digest: string): Promise<StoredSession | null> {
    const rows = await this.guard(this.sql<StoredSession[]>`
      SELECT user_name AS "user", created_at AS "createdAt",
        expires_at AS "expiresAt"
      FROM login_sessions WHERE digest = ${digest}`);
    return rows[0] ? { ...rows[0] } : null;
  }

  async delete(digest: string): Promise<void> {
    await this.guard(
      this.sql`DELETE FROM login_sessions WHERE digest = ${digest}`,
    );
  }

  async deleteAll(user: string): Promise<number> {
    const rows = await this.guard(this.sql`
      DELETE FROM login_sessions WHERE user_name = ${user} RETURNING digest`);
    return rows.length;
  }
}

/** One claim or release waiting for the next statement. */
interface HoldOp {
  key: string;
  holder: string;
  ttlMs: number;
  release: boolean;
}

/** Claims and releases per statement. */
const MAX_HOLD_OPS = 500;

/**
 * Name holds in `name_holds`, keyed by confusable skeleton (`nameKey`).
 *
 * Claims and releases are group-committed: those made while a statement is
 * in flight go together in the next one, so the renewal of every guest's
 * hold (thousands at once) costs a few statements instead of filling the
 * pool ahead of the sends.
 */
export class PgNameClaims implements NameClaims {
  readonly #writes: Batcher<HoldOp, boolean>;
  #prunedAt = -Infinity;

  /** Creates the holds over the pool. */
  constructor(
    readonly sql: Db,
    readonly guard: Guard,
    readonly now: () => number = Date.now,
  ) {
    this.#writes = new Batcher((ops) => this.#commit(ops), {
      maxItems: MAX_HOLD_OPS,
    });
  }

  claim(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.#writes.push({
      key: nameKey(name),
      holder,
      ttlMs,
      release: false,
    });
  }

  async release(name: string, holder: string, ttlMs: number): Promise<void> {
    await this.#writes.push({
      key: nameKey(name),
      holder,
      ttlMs,
      release: true,
    });
  }

  async isHeld(name: string): Promise<boolean> {
    const rows = await this.guard(this.sql`
      SELECT 1 FROM name_holds
      WHERE name = ${nameKey(name)} AND until > ${this.now()}`);
    return rows.length > 0;
  }

  /**
   * Applies `ops` in order. One statement touches a row at most once, so a
   * name seen again starts the next statement.
   */
  async #commit(ops: HoldOp[]): Promise<boolean[]> {
    const results: boolean[] = [];
    let run: HoldOp[] = [];
    const names = new Set<string>();
    for (const op of ops) {
      if (names.has(op.key)) {
        results.push(...await this.#apply(run));
        run = [];
        names.clear();
      }
      run.push(op);
      names.add(op.key);
    }
    results.push(...await this.#apply(run));
    // A lapsed hold counts as none: its row can go (KV lets it expire).
    await this.#pruneIfDue().catch(() => {});
    return results;
  }

  /** Deletes rows of holds long lapsed, at most once a minute. */
  async #pruneIfDue(): Promise<void> {
    const now = this.now();
    if (now - this.#prunedAt < PRUNE_EVERY_MS) return;
    this.#prunedAt = now;
    await this.guard(this.sql`
      DELETE FROM name_holds WHERE name IN (
        SELECT name FROM name_holds WHERE until < ${now - LAPSED_KEEP_MS}
        LIMIT ${PRUNE_LIMIT})`);
  }

  /** Applies ops on distinct names in one statement. */
  async #apply(ops: HoldOp[]): Promise<boolean[]> {
    const now = this.now();
    const claims = ops.filter((op) => !op.release);
    const releases = ops.filter((op) => op.release);
    // Claims: taken when free, lapsed, or already the holder's. Releases:
    // the holder's own hold ends after its grace period.
    const rows = await this.guard(this.sql<{ name: string }[]>`
      WITH released AS (
        UPDATE name_holds h SET until = r.until
        FROM unnest(
          ${releases.map((op) => op.key)}::text[],
          ${releases.map((op) => op.holder)}::text[],
          ${releases.map((op) => String(now + op.ttlMs))}::text[]::bigint[]
        ) AS r(name, holder, until)
        WHERE h.name = r.name AND h.holder = r.holder
      )
      INSERT INTO name_holds AS h (name, holder, until)
      SELECT * FROM unnest(
        ${claims.map((op) => op.key)}::text[],
        ${claims.map((op) => op.holder)}::text[],
        ${claims.map((op) => String(now + op.ttlMs))}::text[]::bigint[]
      )
      ON CONFLICT (name) DO UPDATE
        SET holder = excluded.holder, until = excluded.until
        WHERE h.holder = excluded.holder OR h.until <= ${now}
      RETURNING name`);
    const taken = new Set(rows.map((r) => r.name));
    return ops.map((op) => op.release || taken.has(op.key));
  }
}

/** Bans in `bans`, keyed by room and user. */
export class PgBans implements BanRecords {
  /** Creates the records over the pool. */
  constructor(
    readonly sql: Db,
    readonly guard: Guard,
    readonly now: () => number = Date.now,
  ) {}

  async put(ban: Ban): Promise<void> {
    // Bans that ended go as a new one comes (KV lets them expire).
    await this.guard(this.sql`
      WITH ended AS (
        DELETE FROM bans WHERE until <= ${this.now()}
          AND NOT (room = ${ban.room} AND user_name = ${ban.user})
      )
      INSERT INTO bans (room, user_name, until)
      VALUES (${ban.room}, ${ban.user}, ${ban.until})
      ON CONFLICT (room, user_name) DO UPDATE
        SET until = GREATEST(bans.until, excluded.until)`);
  }

  async active(now: number): Promise<Ban[]> {
    const rows = await this.guard(this.sql<Ban[]>`
      SELECT room, user_name AS "user", until FROM bans
      WHERE until > ${now} ORDER BY room, user_name`);
    return rows.map((r) => ({ ...r }));
  }
}

/** Admin grants in `admin_grants`, first listings in `admin_listed`. */
export class PgRoles implements RoleRecords {
  /** Creates the records over the pool. */
  constructor(readonly sql: Db, readonly guard: Guard) {}

  async get(key: string): Promise<RoleGrant | null> {
    const rows = await this.guard(this.sql<RoleGrant[]>`
      SELECT name, account_created_at AS "accountCreatedAt",
        granted_at AS "grantedAt"
      FROM admin_grants WHERE key = ${key}`);
    return rows[0] ? { ...rows[0] } : null;
  }

  async put(key: string, grant: RoleGrant): Promise<void> {
    await this.guard(this.sql`
      INSERT INTO admin_grants (key, name, account_created_at, granted_at)
      VALUES (${key}, ${grant.name}, ${grant.accountCreatedAt},
        ${grant.grantedAt})
      ON CONFLICT (key) DO UPDATE SET name = excluded.name,
        account_created_at = excluded.account_created_at,
        granted_at = excluded.granted_at`);
  }

  async delete(key: string): Promise<boolean> {
    const rows = await this.guard(this.sql`
      DELETE FROM admin_grants WHERE key = ${key} RETURNING key`);
    return rows.length === 1;
  }

  async list(): Promise<RoleGrant[]> {
    const rows = await this.guard(this.sql<RoleGrant[]>`
      SELECT name, account_created_at AS "accountCreatedAt",
        granted_at AS "grantedAt"
      FROM admin_grants ORDER BY key`);
    return rows.map((r) => ({ ...r }));
  }

  async firstListed(key: string, now: number): Promise<number> {
    const rows = await this.guard(this.sql<{ first_listed: number }[]>`
      WITH ins AS (
        INSERT INTO admin_listed (key, first_listed) VALUES (${key}, ${now})
        ON CONFLICT (key) DO NOTHING RETURNING first_listed
      )
      SELECT first_listed FROM ins
      UNION ALL
      SELECT first_listed FROM admin_listed WHERE key = ${key}
      LIMIT 1`);
    return rows[0]?.first_listed ?? now;
  }
}
