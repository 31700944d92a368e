/**
 * A connection pool that can be swapped for a fresh one under the callers
 * holding it. The `postgres` client can leave a connection stuck for good:
 * a query cancelled (as `deadline` does) while the connection it waits for
 * is still connecting is skipped once that connection is up, and the
 * connection then never reports itself open. During an outage every call
 * past its deadline can leave one connection so, until the whole pool is
 * stuck and stays stuck after PostgreSQL is back. The store's probe (and
 * the bus's listener) start from a fresh pool each time they try again.
 *
 * @module
 */
import type { Db } from "./postgres.ts";

/** A pool whose connections can all be replaced at once. */
export interface RenewablePool {
  /** The pool to call; always the newest one. */
  readonly db: Db;
  /**
   * Starts a fresh pool for every later call and ends the old one, giving
   * its calls in flight `graceSeconds` (default 5) to finish.
   */
  renew(graceSeconds?: number): void;
}

/**
 * Wraps the pool `make` returns, made again on each `renew()`.
 *
 * @example
 * ```ts
 * const pool = renewablePool(() => connect(url, 10));
 * await pool.db`SELECT 1`;
 * pool.renew(); // the next call connects anew
 * ```
 */
export function renewablePool(make: () => Db): RenewablePool {
  let current = make();
  // An arrow function as the target: it has no `prototype`, whose fixed
  // descriptor would bind what the `get` trap may answer.
  const target = (() => {}) as unknown as Db;
  const db = new Proxy(target, {
    apply: (_target, _this, args) =>
      Reflect.apply(
        current as unknown as (...a: unknown[]) => unknown,
        undefined,
        args,
      ),
    get: (_target, prop) => {
      const value = Reflect.get(current, prop, current);
      return typeof value === "function" ? value.bind(current) : value;
    },
  });
  return {
    db,
    renew(graceSeconds = 5) {
      const old = current;
      current = make();
      old.end({ timeout: graceSeconds }).catch(() => {});
    },
  };
}
