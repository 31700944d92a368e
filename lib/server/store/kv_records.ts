/**
 * Accounts, login sessions and bans in Deno KV: the records of the storage
 * contract besides messages and rooms (name holds are `KvNameClaims`).
 *
 * @module
 */
import type {
  Account,
  AccountRecords,
  Ban,
  BanRecords,
  RoleGrant,
  RoleRecords,
  SessionRecords,
  StoredSession,
} from "./store.ts";

/**
 * Accounts under `["accounts", folded name]`, and the name of the account
 * holding each confusable skeleton under `["account_skeletons", skeleton]`.
 */
export class KvAccounts implements AccountRecords {
  readonly #kv: Deno.Kv;

  /** Creates the records over `kv`. */
  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  async get(key: string): Promise<Account | null> {
    return (await this.#kv.get<Account>(["accounts", key])).value;
  }

  async insert(
    key: string,
    account: Account,
    skeleton: string | null,
  ): Promise<boolean> {
    const k = ["accounts", key];
    const op = this.#kv.atomic().check({ key: k, versionstamp: null })
      .set(k, account);
    if (skeleton !== null) {
      const sk = ["account_skeletons", skeleton];
      op.check({ key: sk, versionstamp: null }).set(sk, account.name);
    }
    return (await op.commit()).ok;
  }

  async bySkeleton(skeleton: string): Promise<string | null> {
    return (await this.#kv.get<string>(["account_skeletons", skeleton])).value;
  }

  async setSkeleton(key: string, skeleton: string): Promise<void> {
    const account = await this.get(key);
    if (!account) return;
    const sk = ["account_skeletons", skeleton];
    await this.#kv.atomic().check({ key: sk, versionstamp: null })
      .set(sk, account.name).commit();
  }

  async *list(): AsyncIterable<{ key: string; account: Account }> {
    for await (const e of this.#kv.list<Account>({ prefix: ["accounts"] })) {
      yield { key: String(e.key[1]), account: e.value };
    }
  }
}

/**
 * Sessions under `["sessions", digest]`, expiring with KV's `expireIn` too,
 * and listed per user under `["user_sessions", user, digest]`.
 */
export class KvSessions implements SessionRecords {
  readonly #kv: Deno.Kv;

  /** Creates the records over `kv`. */
  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  async put(
    digest: string,
    session: StoredSession,
    replaces?: string,
  ): Promise<void> {
    const expireIn = Math.max(1, session.expiresAt - session.createdAt);
    const op = this.#kv.atomic()
      .set(["sessions", digest], session, { expireIn })
      .set(["user_sessions", session.user, digest], true, { expireIn });
    if (replaces) op.delete(["sessions", replaces]);
    const res = await op.commit();
    if (!res.ok) throw new Error("Sessions: storing a session failed");
  }

  async get(digest: string): Promise<StoredSession | null> {
    return (await this.#kv.get<StoredSession>(["sessions", digest])).value;
  }

  async delete(digest: string): Promise<void> {
    const session = await this.get(digest);
    const op = this.#kv.atomic().delete(["sessions", digest]);
    if (session) op.delete(["user_sessions", session.user, digest]);
    await op.commit();
  }

  async deleteAll(user: string): Promise<number> {
    let n = 0;
    for await (const e of this.#kv.list({ prefix: ["user_sessions", user] })) {
      await this.#kv.atomic().delete(["sessions", e.key[2]]).delete(e.key)
        .commit();
      n++;
    }
    return n;
  }
}

/** Bans under `["bans", room, user]`, expiring when they end. */
export class KvBans implements BanRecords {
  readonly #kv: Deno.Kv;
  readonly #now: () => number;

  /** Creates the records over `kv`. */
  constructor(kv: Deno.Kv, now: () => number = Date.now) {
    this.#kv = kv;
    this.#now = now;
  }

  async put(ban: Ban): Promise<void> {
    await this.#kv.set(["bans", ban.room, ban.user], ban.until, {
      expireIn: Math.max(1, ban.until - this.#now()),
    });
  }

  async active(now: number): Promise<Ban[]> {
    const out: Ban[] = [];
    for await (const e of this.#kv.list<number>({ prefix: ["bans"] })) {
      if (e.value > now) {
        out.push({
          room: String(e.key[1]),
          user: String(e.key[2]),
          until: e.value,
        });
      }
    }
    return out;
  }
}

/** Grants under `["roles", "admin", key]`, first listings under `["roles", "listed", key]`. */
export class KvRoles implements RoleRecords {
  readonly #kv: Deno.Kv;

  /** Creates the records over `kv`. */
  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  async get(key: string): Promise<RoleGrant | null> {
    return (await this.#kv.get<RoleGrant>(["roles", "admin", key])).value;
  }

  async put(key: string, grant: RoleGrant): Promise<void> {
    await this.#kv.set(["roles", "admin", key], grant);
  }

  async delete(key: string): Promise<boolean> {
    const k = ["roles", "admin", key];
    const entry = await this.#kv.get(k);
    if (entry.value === null) return false;
    await this.#kv.delete(k);
    return true;
  }

  async list(): Promise<RoleGrant[]> {
    const out: RoleGrant[] = [];
    const iter = this.#kv.list<RoleGrant>({ prefix: ["roles", "admin"] });
    for await (const e of iter) out.push(e.value);
    return out;
  }

  async firstListed(key: string, now: number): Promise<number> {
    const k = ["roles", "listed", key];
    await this.#kv.atomic().check({ key: k, versionstamp: null }).set(k, now)
      .commit();
    return (await this.#kv.get<number>(k)).value ?? now;
  }
}
