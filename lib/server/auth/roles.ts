/**
 * Server-wide roles, bound to accounts rather than names: a role is stored
 * under the account's key together with the account's creation time, so it
 * never passes to anyone who registers a listed name later. Granted with
 * `deno task admin grant NAME` (which refuses a name with no account), or
 * from `ADMIN_USERS` at start, for accounts that existed when the name was
 * first listed.
 *
 * @module
 */
import { type Account, accountKey, type Accounts } from "./accounts.ts";
import type { RoleGrant, RoleRecords } from "@/lib/server/store/store.ts";

/** Why a grant was refused; the message is fit for an operator. */
export class RoleError extends Error {
  /** Always `"RoleError"`. */
  override name = "RoleError";
}

/** The admins: accounts that may moderate every room. */
export class Roles {
  readonly #records: RoleRecords;
  readonly #accounts: Accounts;
  readonly #now: () => number;

  /** Creates the registry over the store's role records. */
  constructor(
    records: RoleRecords,
    accounts: Accounts,
    now: () => number = Date.now,
  ) {
    this.#records = records;
    this.#accounts = accounts;
    this.#now = now;
  }

  /** Makes the account `name` an admin; throws when there is no such account. */
  async grant(name: string): Promise<Account> {
    const account = await this.#accounts.get(name);
    if (!account) throw new RoleError(`No account named ${name}`);
    const grant: RoleGrant = {
      name: account.name,
      accountCreatedAt: account.createdAt,
      grantedAt: this.#now(),
    };
    await this.#records.put(accountKey(name), grant);
    return account;
  }

  /** Takes the role back; false when `name` was no admin. */
  async revoke(name: string): Promise<boolean> {
    return await this.#records.delete(accountKey(name));
  }

  /** Whether the account `name` is an admin. */
  async isAdmin(name: string): Promise<boolean> {
    const [grant, account] = await Promise.all([
      this.#records.get(accountKey(name)),
      this.#accounts.get(name),
    ]);
    return grant !== null && account !== null &&
      grant.accountCreatedAt === account.createdAt;
  }

  /** Every admin's name. */
  async list(): Promise<string[]> {
    return (await this.#records.list()).map((g) => g.name);
  }

  /**
   * Applies `ADMIN_USERS`: each listed name is granted to its account if that
   * account was registered before the name was first listed (the first start
   * that saw it). A name listed while it had no account is never granted to
   * whoever registers it afterwards. Returns what it did, for the log.
   */
  async bindListed(
    names: string[],
  ): Promise<{ granted: string[]; refused: string[] }> {
    const granted: string[] = [];
    const refused: string[] = [];
    for (const name of names) {
      const firstListed = await this.#records.firstListed(
        accountKey(name),
        this.#now(),
      );
      const account = await this.#accounts.get(name);
      if (account && account.createdAt <= firstListed) {
        await this.grant(name);
        granted.push(account.name);
      } else refused.push(name);
    }
    return { granted, refused };
  }
}
