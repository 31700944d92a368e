/**
 * Transactions that a deadline can stop. `sql.begin` of the `postgres`
 * client returns a plain promise: when {@link deadline} gives up on it (the
 * caller has been answered `unavailable`), the transaction would still run
 * on, and could commit a room's deletion or a pin that its caller was told
 * failed. {@link begin} returns the same promise with `cancel()`, which
 * `deadline` calls: the statement in flight is cancelled on the server and
 * any statement the body tries after that fails, so the transaction rolls
 * back instead of committing late.
 *
 * @module
 */
import type { Sql, TransactionSql } from "postgres";

/** A transaction's promise, which its deadline can cancel. */
export type Cancellable<T> = Promise<T> & {
  /** Rolls the transaction back instead of letting it commit. */
  cancel(): void;
};

/** The error a statement gets once its transaction was cancelled. */
export class TransactionCancelledError extends Error {
  /** Always `"TransactionCancelledError"`. */
  override name = "TransactionCancelledError";
  /** Always `"TRANSACTION_CANCELLED"`. */
  readonly code = "TRANSACTION_CANCELLED";
}

/** A statement of the client: a promise that can be cancelled. */
interface Statement {
  cancel(): Promise<unknown> | unknown;
  then: Promise<unknown>["then"];
}

function isStatement(value: unknown): value is Statement {
  return typeof (value as Statement)?.cancel === "function" &&
    typeof (value as Statement).then === "function";
}

/**
 * Runs `body` in a transaction on `sql`, as `sql.begin` does, and returns
 * its promise with `cancel()`. Every statement the body runs through its
 * `tx` (tagged template or `tx.unsafe`) must be awaited as it is made, as
 * they are here: a statement is sent when it is made, so a fragment nested
 * in another statement is not supported.
 *
 * @example
 * ```ts
 * const deleted = await deadline(
 *   begin(sql, async (tx) => (await tx`DELETE FROM rooms WHERE id = ${id} RETURNING id`).length),
 *   10_000,
 * );
 * ```
 */
export function begin<T>(
  sql: Sql<Record<string, never>>,
  body: (tx: TransactionSql<Record<string, never>>) => Promise<T>,
): Cancellable<T> {
  let cancelled = false;
  const pending = new Set<Statement>();
  const refuse = () => {
    throw new TransactionCancelledError(
      "the transaction was cancelled at its deadline",
    );
  };
  const track = (statement: unknown) => {
    if (!isStatement(statement)) return statement;
    pending.add(statement);
    const settled = () => pending.delete(statement);
    statement.then(settled, settled);
    return statement;
  };
  const done = sql.begin((tx) => {
    const unsafe = (...args: Parameters<typeof tx.unsafe>) => {
      if (cancelled) refuse();
      return track(tx.unsafe(...args));
    };
    const guarded = new Proxy(tx, {
      apply(target, self, args) {
        if (cancelled) refuse();
        return track(Reflect.apply(target, self, args));
      },
      get(target, key, receiver) {
        return key === "unsafe" ? unsafe : Reflect.get(target, key, receiver);
      },
    });
    return body(guarded);
  }) as Promise<T>;
  return Object.assign(done, {
    cancel() {
      cancelled = true;
      // A cancel request that can't reach the server (an outage) changes
      // nothing: the connection's loss ends the transaction anyway.
      for (const statement of pending) {
        Promise.resolve(statement.cancel()).catch(() => {});
      }
    },
  });
}
