/**
 * Work on PostgreSQL that a deadline can stop. When {@link deadline} gives
 * up on a call (its caller has been answered `unavailable`), the call's
 * statements would otherwise run on, and could commit a room's deletion, a
 * reaction or a membership its caller was told failed; a batch would also
 * keep its connection and its row locks while the next batch starts.
 *
 * {@link cancellable} and {@link begin} hand the work a pool (or a
 * transaction) whose statements they track, and return its promise with
 * `cancel()`, which `deadline` calls: the statements in flight are
 * cancelled on the server and any statement the work makes after that
 * fails, so a transaction rolls back instead of committing late.
 *
 * @module
 */
import type { Sql, TransactionSql } from "postgres";

/** A pool of connections, as the stores use it. */
type Pool = Sql<Record<string, never>>;
/** A transaction, as `sql.begin` hands it over. */
type Transaction = TransactionSql<Record<string, never>>;

/** A call's promise, which its deadline can cancel. */
export type Cancellable<T> = Promise<T> & {
  /** Cancels the statements in flight and refuses any later one. */
  cancel(): void;
};

/** The error a statement gets once its call was cancelled. */
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

/** The statements of one call, made through {@link Statements.wrap}. */
class Statements {
  #cancelled = false;
  readonly #pending = new Set<Statement>();

  /**
   * `sql` (a pool or a transaction) with every statement it makes tracked:
   * tagged templates, `unsafe`, and those of the transactions it begins.
   */
  wrap<S extends Pool | Transaction>(sql: S): S {
    const unsafe = (...args: Parameters<S["unsafe"]>) => {
      this.#refuseIfCancelled();
      return this.#track(
        (sql.unsafe as (...a: Parameters<S["unsafe"]>) => unknown)(...args),
      );
    };
    const begin = (body: (tx: Transaction) => unknown) =>
      (sql as Pool).begin((tx) => body(this.wrap(tx)));
    return new Proxy(sql, {
      apply: (target, self, args) => {
        this.#refuseIfCancelled();
        return this.#track(Reflect.apply(target, self, args));
      },
      get: (target, key, receiver) =>
        key === "unsafe"
          ? unsafe
          : key === "begin"
          ? begin
          : Reflect.get(target, key, receiver),
    });
  }

  cancel(): void {
    this.#cancelled = true;
    // A cancel request that can't reach the server (an outage) changes
    // nothing: the connection's loss ends the statement anyway.
    for (const statement of this.#pending) {
      Promise.resolve(statement.cancel()).catch(() => {});
    }
  }

  #refuseIfCancelled(): void {
    if (this.#cancelled) {
      throw new TransactionCancelledError("cancelled at its deadline");
    }
  }

  #track(value: unknown): unknown {
    // Helpers such as `sql(values)` return fragments, not statements.
    if (!isStatement(value)) return value;
    const statement = value;
    this.#pending.add(statement);
    const settled = () => this.#pending.delete(statement);
    statement.then(settled, settled);
    return statement;
  }
}

/**
 * Runs `work` with `sql` tracked (see the module) and returns its promise
 * with `cancel()`. Every statement `work` makes must be awaited as it is
 * made, as they are in the stores: a statement is sent when it is made, so
 * a statement nested in another as a fragment is not supported.
 *
 * @example
 * ```ts
 * const rows = await deadline(
 *   cancellable(sql, async (sql) => await sql`SELECT 1 AS one`),
 *   10_000,
 * );
 * ```
 */
export function cancellable<T>(
  sql: Pool,
  work: (sql: Pool) => Promise<T>,
): Cancellable<T> {
  const statements = new Statements();
  return Object.assign(work(statements.wrap(sql)), {
    cancel: () => statements.cancel(),
  });
}

/**
 * Runs `body` in a transaction on `sql`, as `sql.begin` does, and returns
 * its promise with `cancel()`: cancelled, the transaction rolls back.
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
  sql: Pool,
  body: (tx: Transaction) => Promise<T>,
): Cancellable<T> {
  return cancellable(
    sql,
    (pool) => pool.begin((tx) => body(tx)) as Promise<T>,
  );
}
