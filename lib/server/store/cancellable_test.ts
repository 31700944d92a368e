import { expect } from "expect";
import postgres from "postgres";
import {
  begin,
  cancellable,
  TransactionCancelledError,
} from "./cancellable.ts";
import { startPostgres } from "@/tests/helpers/postgres.ts";

/** Runs `body` against a fresh database holding an empty table `t (n int)`. */
async function withTable(
  name: string,
  body: (sql: postgres.Sql) => Promise<void>,
): Promise<void> {
  await using pg = await startPostgres();
  const sql = postgres(await pg.createDatabase(name), { onnotice: () => {} });
  try {
    await sql`CREATE TABLE t (n int)`;
    await body(sql);
  } finally {
    await sql.end();
  }
}

async function rows(sql: postgres.Sql): Promise<number[]> {
  const found = await sql<{ n: number }[]>`SELECT n FROM t ORDER BY n`;
  return found.map((r) => r.n);
}

Deno.test("cancellable - runs and commits like sql.begin when not cancelled", () =>
  withTable("tx_plain", async (sql) => {
    const result = await begin(sql, async (tx) => {
      await tx`INSERT INTO t VALUES (1)`;
      await tx.unsafe("INSERT INTO t VALUES (2)");
      return "done";
    });
    expect(result).toBe("done");
    expect(await rows(sql)).toEqual([1, 2]);
  }));

Deno.test("cancellable - cancel stops the statement in flight and rolls back what came before", () =>
  withTable("tx_flight", async (sql) => {
    const started = Date.now();
    const transaction = begin(sql, async (tx) => {
      await tx`INSERT INTO t VALUES (1)`;
      await tx`SELECT pg_sleep(30)`;
      await tx`INSERT INTO t VALUES (2)`;
    });
    await new Promise((r) => setTimeout(r, 300));
    transaction.cancel();
    const error = await transaction.catch((e) => e);
    expect(error.code).toBe("57014");
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await rows(sql)).toEqual([]);
  }));

Deno.test("cancellable - a statement made after cancel is refused and nothing commits", () =>
  withTable("tx_between", async (sql) => {
    let resume!: () => void;
    const paused = new Promise<void>((r) => resume = r);
    let inserted!: () => void;
    const first = new Promise<void>((r) => inserted = r);
    const transaction = begin(sql, async (tx) => {
      await tx`INSERT INTO t VALUES (1)`;
      inserted();
      // Between statements, in JavaScript: nothing on the server to cancel.
      await paused;
      await tx`INSERT INTO t VALUES (2)`;
    });
    await first;
    transaction.cancel();
    resume();
    const error = await transaction.catch((e) => e);
    expect(error).toBeInstanceOf(TransactionCancelledError);
    expect(await rows(sql)).toEqual([]);
    // The connection went back to the pool usable.
    await sql`INSERT INTO t VALUES (3)`;
    expect(await rows(sql)).toEqual([3]);
  }));

Deno.test("cancellable - cancel stops a statement of the pool in flight and refuses the next", () =>
  withTable("pool_flight", async (sql) => {
    let reached!: () => void;
    const sleeping = new Promise<void>((r) => reached = r);
    const work = cancellable(sql, async (pool) => {
      const asleep = pool`SELECT pg_sleep(30)`;
      reached();
      await asleep.catch(() => {});
      await pool`INSERT INTO t VALUES (1)`;
    });
    await sleeping;
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    work.cancel();
    const error = await work.catch((e) => e);
    expect(error).toBeInstanceOf(TransactionCancelledError);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await rows(sql)).toEqual([]);
  }));
