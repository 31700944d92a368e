/**
 * Accounts: a username and a password, kept in the store's account records
 * (Deno KV or PostgreSQL) under the folded name. Only a salted scrypt hash of the password is stored,
 * as `scrypt$N$r$p$salt$hash`. Usernames follow the guests' rule
 * ({@link USER_NAME}) and are unique regardless of case.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { fold, USER_NAME } from "@/lib/shared/names.ts";
import { nameKey, nameProblem } from "@/lib/server/chat/name_skeleton.ts";
import type { Account, AccountRecords } from "@/lib/server/store/store.ts";

export type { Account };

/** scrypt's cost parameters. */
export interface ScryptCost {
  /** CPU and memory cost, a power of two. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelisation. */
  p: number;
}

/** Options of {@link Accounts}. */
export interface AccountsOptions {
  /** The cost of new hashes; existing hashes keep the cost they were made with. */
  cost?: ScryptCost;
  /** The clock, in epoch milliseconds; `Date.now` by default. */
  now?: () => number;
}

/** Why a registration was refused; the message is fit for the user. */
export class AccountError extends Error {
  /** Always `"AccountError"`. */
  override name = "AccountError";
}

/** Passwords shorter than this are refused. */
export const MIN_PASSWORD_LENGTH = 8;
/** Passwords longer than this are refused, so hashing stays cheap to ask for. */
export const MAX_PASSWORD_LENGTH = 256;

/** About 100 ms and 32 MiB per hash: OWASP's minimum for scrypt, doubled. */
const DEFAULT_COST: ScryptCost = { N: 2 ** 15, r: 8, p: 1 };
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const MAX_N = 2 ** 20;

/** The registry of accounts. */
export class Accounts {
  readonly #records: AccountRecords;
  readonly #cost: ScryptCost;
  readonly #now: () => number;
  /** Hashed when a username is unknown, so a miss takes as long as a hit. */
  #decoy?: Promise<string>;
  /** Set once every account's skeleton is known to be recorded. */
  #indexed = false;

  /** Creates the registry over the store's account records. */
  constructor(records: AccountRecords, options: AccountsOptions = {}) {
    this.#records = records;
    this.#cost = options.cost ?? DEFAULT_COST;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Creates an account; throws {@link AccountError} for an invalid name or
   * password, a name that mixes scripts or holds invisible characters, or
   * a name taken in any case or by a look-alike (same confusable skeleton).
   */
  async register(name: string, password: string): Promise<Account> {
    checkNewAccount(name, password);
    const similar = await this.#records.bySkeleton(nameKey(name));
    if (similar !== null) {
      throw new AccountError(`Username taken: ${name} looks like ${similar}`);
    }
    const account: Account = {
      name,
      passwordHash: await hashPassword(password, this.#cost),
      createdAt: this.#now(),
    };
    if (
      !(await this.#records.insert(accountKey(name), account, nameKey(name)))
    ) {
      throw new AccountError(`Username taken: ${name}`);
    }
    return account;
  }

  /**
   * The account when `password` is right, else null. Unknown names cost
   * as much time as wrong passwords, so timing does not tell which it was.
   */
  async verify(name: string, password: string): Promise<Account | null> {
    const account = USER_NAME.test(name) ? await this.get(name) : null;
    const bounded = password.length <= MAX_PASSWORD_LENGTH;
    if (!account || !bounded) {
      this.#decoy ??= hashPassword("decoy password", this.#cost);
      await verifyPassword(
        password.slice(0, MAX_PASSWORD_LENGTH),
        await this.#decoy,
      );
      return null;
    }
    return await verifyPassword(password, account.passwordHash)
      ? account
      : null;
  }

  /** The account holding `name` in any case, or null. */
  async get(name: string): Promise<Account | null> {
    return await this.#records.get(accountKey(name));
  }

  /**
   * Whether an account holds `name` in any case, or a name that looks like
   * it; guests may not use it.
   */
  async isReserved(name: string): Promise<boolean> {
    const similar = this.#records.bySkeleton(nameKey(name));
    // Names that fold alike share a skeleton, so once every account has
    // its skeleton recorded one read answers; until then an account from
    // before skeletons is found by its key.
    if (this.#indexed) return (await similar) !== null;
    const [skeleton, exact] = await Promise.all([similar, this.get(name)]);
    return skeleton !== null || exact !== null;
  }

  /**
   * Records the skeleton of accounts registered before look-alike names
   * were compared, or under an older rule of `nameKey`, so new names are
   * checked against them too. Run at start.
   */
  async indexSkeletons(): Promise<void> {
    for await (const { key, account } of this.#records.list()) {
      const skeleton = nameKey(account.name);
      // The first account of a look-alike pair keeps the skeleton.
      if ((await this.#records.bySkeleton(skeleton)) === null) {
        await this.#records.setSkeleton(key, skeleton);
      }
    }
    this.#indexed = true;
  }
}

/** The key of an account: its name folded to compare regardless of case. */
export function accountKey(name: string): string {
  return fold(name);
}

/**
 * Throws the {@link AccountError} a registration of `name` with `password`
 * gets before any lookup: a name outside the rules or the policy, or a
 * password too short or too long.
 */
export function checkNewAccount(name: string, password: string): void {
  if (!USER_NAME.test(name)) {
    throw new AccountError(
      "Invalid username: use 1–24 letters, digits, _ . or -",
    );
  }
  const problem = nameProblem(name);
  if (problem) throw new AccountError(problem);
  checkPassword(password);
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AccountError(
      `Password too short: use at least ${MIN_PASSWORD_LENGTH} characters`,
    );
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new AccountError(
      `Password too long: use at most ${MAX_PASSWORD_LENGTH} characters`,
    );
  }
}

/** Hashes a password with a fresh random salt, as `scrypt$N$r$p$salt$hash`. */
export async function hashPassword(
  password: string,
  cost: ScryptCost = DEFAULT_COST,
): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, cost, HASH_BYTES);
  return [
    "scrypt",
    cost.N,
    cost.r,
    cost.p,
    salt.toString("base64url"),
    hash.toString("base64url"),
  ].join("$");
}

/** Whether `password` matches a hash made by {@link hashPassword}. */
export async function verifyPassword(
  password: string,
  stored: string,
): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (
    ![N, r, p].every(Number.isSafeInteger) || N < 2 || N > MAX_N ||
    r < 1 || r > 32 || p < 1 || p > 16
  ) return false;
  const salt = Buffer.from(parts[4], "base64url");
  const expected = Buffer.from(parts[5], "base64url");
  if (expected.length < 16) return false;
  const actual = await derive(password, salt, { N, r, p }, expected.length);
  return timingSafeEqual(actual, expected);
}

function derive(
  password: string,
  salt: Buffer,
  cost: ScryptCost,
  length: number,
): Promise<Buffer> {
  // Twice the working set scrypt needs (128·N·r bytes), above node's 32 MiB default.
  const maxmem = 256 * cost.N * cost.r + 1024 * 1024;
  return new Promise((resolve, reject) =>
    scrypt(
      password.normalize("NFC"),
      salt,
      length,
      { ...cost, maxmem },
      (error, key) => error ? reject(error) : resolve(key),
    )
  );
}
