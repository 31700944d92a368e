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

/** A stored grant. */
interface Grant {
  /** The account's name as registered. */
  name: string;
  /** The account's creation time: the grant holds for that account only. */
  accountCreatedAt: number;
  /** When it was granted. */
  grantedAt: number;
}

/** Why a grant was refused; the message is fit for an operator. */
export class RoleError extends Error {
  /** Always `"RoleError"`. */
  override name = "RoleError";
}

const roleKey = (name: string) => ["roles", "admin", accountKey(name)[1]];
const listedKey = (name: string) => ["roles", "listed", accountKey(name)[1]];

/** The admins: accounts that may moderate every room. */
export class Roles {
  readonly #kv: Deno.Kv;
  readonly #accounts: Accounts;
  readonly #now: () => number;

  /** Creates the registry over the accounts' KV. */
  constructor(kv: Deno.Kv, accounts: Accounts, now: () => number = Date.now) {
    this.#kv = kv;
    this.#accounts = accounts;
    this.#now = now;
  }

  /** Makes the account `name` an admin; throws when there is no such account. */
  async grant(name: string): Promise<Account> {
    const account = await this.#accounts.get(name);
    if (!account) throw new RoleError(`No account named ${name}`);
    const grant: Grant = {
      name: account.name,
      accountCreatedAt: account.createdAt,
      grantedAt: this.#now(),
    };
    await this.#kv.set(roleKey(name), grant);
    return account;
  }

  /** Takes the role back; false when `name` was no admin. */
  async revoke(name: string): Promise<boolean> {
    const entry = await this.#kv.get<Grant>(roleKey(name));
    if (!entry.value) return false;
    await this.#kv.delete(roleKey(name));
    return true;
  }

  /** Whether the account `name` is an admin. */
  async isAdmin(name: string): Promise<boolean> {
    const [grant, account] = await Promise.all([
      this.#kv.get<Grant>(roleKey(name)),
      this.#accounts.get(name),
    ]);
    return grant.value !== null && account !== null &&
      grant.value.accountCreatedAt === account.createdAt;
  }

  /** Every admin's name. */
  async list(): Promise<string[]> {
    const out: string[] = [];
    for await (
      const e of this.#kv.list<Grant>({ prefix: ["roles", "admin"] })
    ) out.push(e.value.name);
    return out;
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
      const key = listedKey(name);
      let firstListed = (await this.#kv.get<number>(key)).value;
      if (firstListed === null) {
        firstListed = this.#now();
        await this.#kv.atomic().check({ key, versionstamp: null })
          .set(key, firstListed).commit();
        firstListed = (await this.#kv.get<number>(key)).value ?? firstListed;
      }
      const account = await this.#accounts.get(name);
      if (account && account.createdAt <= firstListed) {
        await this.grant(name);
        granted.push(account.name);
      } else refused.push(name);
    }
    return { granted, refused };
  }
}
