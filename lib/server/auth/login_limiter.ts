/**
 * Failed logins, counted three ways so guessing is slow while nobody can
 * lock an owner out of their account:
 *
 * - per client address: slowed after half of {@link IP_FACTOR} times the
 *   allowance, locked after all of it (many people may share an address);
 * - per (address, username): slowed after half the allowance, locked after
 *   all of it, for `lockMs`;
 * - per username, from any address: only slowed (1 s, 2 s, … up to a minute
 *   between attempts) once the allowance is used, never locked — and not at
 *   all for a browser that presents the device cookie of an earlier
 *   successful login to that account (see `device_cookie.ts`).
 *
 * A quiet `lockMs` without failures forgets a key; a successful login
 * forgets the username's failures. The counts live in this instance's
 * memory.
 *
 * @module
 */
import { fold } from "@/lib/shared/names.ts";

/** Options of {@link LoginLimiter}. */
export interface LoginLimiterOptions {
  /**
   * Failures per (address, username) before it is locked, and per username
   * before it is slowed (`LOGIN_MAX_ATTEMPTS`).
   */
  maxAttempts: number;
  /** How long a lock lasts, in ms (`LOGIN_LOCK_MS`). */
  lockMs: number;
  /** The clock, in epoch milliseconds; `Date.now` by default. */
  now?: () => number;
  /** Keys tracked at most; the stalest are dropped beyond it. */
  maxKeys?: number;
}

/** The verdict on a login attempt. */
export type LoginVerdict =
  | { ok: true }
  | { ok: false; retryAfterS: number; locked: boolean };

/** How many times the username's allowance an address gets. */
export const IP_FACTOR = 5;
/** The longest wait between attempts while slowed. */
const MAX_DELAY_MS = 60_000;

interface Failures {
  count: number;
  last: number;
}

/** Counts failed logins and says when the next attempt may be made. */
export class LoginLimiter {
  readonly #failures = new Map<string, Failures>();
  readonly #o: Required<LoginLimiterOptions>;

  /** Creates a limiter with no failures recorded. */
  constructor(options: LoginLimiterOptions) {
    this.#o = {
      ...options,
      now: options.now ?? Date.now,
      maxKeys: options.maxKeys ?? 100_000,
    };
  }

  /**
   * Whether a login for `user` from `address` may be tried now; call before
   * checking the password. `trustedDevice`: the browser showed a device
   * cookie of this account, so the username-wide slowdown doesn't apply.
   */
  check(address: string, user: string, trustedDevice = false): LoginVerdict {
    const now = this.#o.now();
    let wait = 0;
    let locked = false;
    for (const [key, max, lockable] of this.#keys(address, user)) {
      if (!lockable && trustedDevice) continue;
      const f = this.#current(key, now);
      if (!f) continue;
      if (lockable && f.count >= max) {
        locked = true;
        wait = Math.max(wait, f.last + this.#o.lockMs - now);
        continue;
      }
      const slowAfter = lockable ? Math.ceil(max / 2) : max;
      if (f.count >= slowAfter) {
        const delay = Math.min(1000 * 2 ** (f.count - slowAfter), MAX_DELAY_MS);
        wait = Math.max(wait, f.last + delay - now);
      }
    }
    if (wait <= 0) return { ok: true };
    return { ok: false, retryAfterS: Math.ceil(wait / 1000), locked };
  }

  /**
   * Records a failed attempt. Callers count each attempt before checking
   * the password, so parallel guesses can't all pass {@link check}.
   */
  fail(address: string, user: string): void {
    const now = this.#o.now();
    for (const [key] of this.#keys(address, user)) {
      const f = this.#current(key, now) ?? { count: 0, last: now };
      f.count++;
      f.last = now;
      // Re-inserted so the map stays ordered by last failure, stalest first.
      this.#failures.delete(key);
      this.#failures.set(key, f);
    }
    while (this.#failures.size > this.#o.maxKeys) {
      this.#failures.delete(this.#failures.keys().next().value!);
    }
  }

  /**
   * Records a successful login: the username's failures are forgotten and
   * the attempt counted up front (see {@link fail}) is taken back from the
   * address.
   */
  succeed(address: string, user: string): void {
    this.#failures.delete(userKey(user));
    this.#failures.delete(pairKey(address, user));
    const f = this.#failures.get(`ip:${address}`);
    if (f && --f.count <= 0) this.#failures.delete(`ip:${address}`);
  }

  /** Each key with its allowance and whether reaching it locks. */
  #keys(address: string, user: string): [string, number, boolean][] {
    return [
      [`ip:${address}`, this.#o.maxAttempts * IP_FACTOR, true],
      [pairKey(address, user), this.#o.maxAttempts, true],
      [userKey(user), this.#o.maxAttempts, false],
    ];
  }

  #current(key: string, now: number): Failures | undefined {
    const f = this.#failures.get(key);
    if (f && now - f.last >= this.#o.lockMs) {
      this.#failures.delete(key);
      return undefined;
    }
    return f;
  }
}

function pairKey(address: string, user: string): string {
  return `pair:${address}\u0000${fold(user)}`;
}

function userKey(user: string): string {
  return `user:${fold(user)}`;
}
