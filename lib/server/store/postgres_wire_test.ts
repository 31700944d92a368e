import { expect } from "expect";
import postgres from "postgres";
import {
  type PostgresServer,
  startPostgres,
} from "@/tests/helpers/postgres.ts";
import { isLostConnection } from "./postgres_errors.ts";
import {
  WireConnection,
  wireTarget,
  WireUnsupportedError,
} from "./postgres_wire.ts";
import { WireStatement } from "./postgres_statement.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Runs `body` with a connection to a throwaway server; closes it after. */
async function withConnection(
  body: (conn: WireConnection) => Promise<void>,
): Promise<void> {
  await using pg = await startPostgres();
  const conn = await WireConnection.open(wireTarget(pg.url));
  try {
    await body(conn);
  } finally {
    conn.close();
  }
}

/**
 * Runs `body` with a throwaway server, `text` prepared as a
 * {@link WireStatement} on it, and an admin session; closes both after.
 */
async function withStatement(
  text: string,
  body: (
    statement: WireStatement,
    admin: postgres.Sql,
    pg: PostgresServer,
  ) => Promise<void>,
): Promise<void> {
  await using pg = await startPostgres();
  const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
  const statement = new WireStatement(wireTarget(pg.url), "s", text);
  try {
    await body(statement, admin, pg);
  } finally {
    await statement.close();
    await admin.end({ timeout: 1 });
  }
}

Deno.test(
  "wire - runs a prepared statement with text parameters and NULLs; overlapping calls answer in order",
  opts,
  () =>
    withConnection(async (conn) => {
      await conn.prepare(
        "s",
        "SELECT g, $1::text || g, $2::text FROM generate_series(1, $3::int) g",
      );
      expect(await conn.execute("s", ["n", null, "3"])).toEqual([
        ["1", "n1", null],
        ["2", "n2", null],
        ["3", "n3", null],
      ]);
      const text = "ünïcödé ✓ 한국어 " + "x".repeat(40_000); // beyond one read
      const calls = Array.from(
        { length: 20 },
        (_, i) => conn.execute("s", [text + i, String(i), "1"]),
      );
      const answers = await Promise.all(calls);
      answers.forEach((rows, i) =>
        expect(rows).toEqual([["1", text + i + "1", String(i)]])
      );
    }),
);

Deno.test(
  "wire - a statement's error fails that call alone, as a PostgresError that is no lost connection",
  opts,
  () =>
    withConnection(async (conn) => {
      await conn.prepare("div", "SELECT 10 / $1::int");
      const [bad, good] = await Promise.allSettled([
        conn.execute("div", ["0"]),
        conn.execute("div", ["5"]),
      ]);
      const error = (bad as PromiseRejectedResult).reason;
      expect(error.name).toBe("PostgresError");
      expect(error.code).toBe("22012"); // division_by_zero
      expect(isLostConnection(error)).toBe(false);
      expect((good as PromiseFulfilledResult<unknown>).value).toEqual([["2"]]);
      await expect(conn.prepare("bad", "SELEC 1")).rejects.toMatchObject({
        code: "42601",
      });
      expect(conn.closed).toBe(false);
    }),
);

Deno.test(
  "wire - logs in with a password in clear, MD5 or SCRAM-SHA-256; a wrong one is refused",
  opts,
  async () => {
    await using pg = await startPostgres();
    const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`
      SET password_encryption = 'md5';
      CREATE ROLE wire_md5 LOGIN PASSWORD 'md5 secret';
      CREATE ROLE wire_clear LOGIN PASSWORD 'clear secret';
      SET password_encryption = 'scram-sha-256';
      CREATE ROLE wire_scram LOGIN PASSWORD 'scräm secret';`);
      const [{ hba_file }] =
        await admin`SELECT current_setting('hba_file') AS hba_file`;
      const rules = await Deno.readTextFile(hba_file);
      await Deno.writeTextFile(
        hba_file,
        "host all wire_md5 127.0.0.1/32 md5\n" +
          "host all wire_clear 127.0.0.1/32 password\n" +
          "host all wire_scram 127.0.0.1/32 scram-sha-256\n" + rules,
      );
      await admin`SELECT pg_reload_conf()`;
      const url = (user: string, password: string) =>
        `postgres://${user}:${
          encodeURIComponent(password)
        }@127.0.0.1:${pg.port}/postgres`;
      for (
        const [user, password] of [
          ["wire_md5", "md5 secret"],
          ["wire_clear", "clear secret"],
          ["wire_scram", "scräm secret"],
        ]
      ) {
        const conn = await WireConnection.open(wireTarget(url(user, password)));
        await conn.prepare("who", "SELECT current_user");
        expect(await conn.execute("who", [])).toEqual([[user]]);
        conn.close();
        await expect(WireConnection.open(wireTarget(url(user, "wrong"))))
          .rejects.toMatchObject({ code: "28P01", severity: "FATAL" });
      }
      await expect(
        WireConnection.open(
          wireTarget(`postgres://wire_scram@127.0.0.1:${pg.port}/postgres`),
        ),
      ).rejects.toBeInstanceOf(WireUnsupportedError); // asked for a password the URL lacks
    } finally {
      await admin.end({ timeout: 1 });
    }
  },
);

Deno.test(
  "wire - a crash fails the call in flight as a lost connection; the statement reconnects once PostgreSQL is back",
  opts,
  () =>
    withStatement(
      "SELECT pg_sleep($1::float8), 'done'",
      async (statement, _admin, pg) => {
        expect(await statement.run(["0"])).toEqual([["", "done"]]);
        const call = statement.run(["30"]).then(() => undefined, (e) => e);
        await new Promise((r) => setTimeout(r, 200));
        await pg.crash();
        const error = await call;
        expect(isLostConnection(error)).toBe(true);
        const refused = await statement.run(["0"]).then(
          () => undefined,
          (e) => e,
        );
        expect(isLostConnection(refused)).toBe(true);
        await pg.start();
        expect(await statement.run(["0"])).toEqual([["", "done"]]);
      },
    ),
);

Deno.test(
  "wire - cancel stops the statement in PostgreSQL and the next run gets a new connection",
  opts,
  () =>
    withStatement(
      "SELECT pg_sleep($1::float8), pg_backend_pid()",
      async (statement, admin) => {
        const [[, first]] = await statement.run(["0"]) as string[][];
        const call = statement.run(["60"]);
        await new Promise((r) => setTimeout(r, 200));
        call.cancel();
        await expect(call).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline) {
          const rows =
            await admin`SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()`;
          if (rows.length === 0) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(Date.now()).toBeLessThan(deadline);
        const [[, second]] = await statement.run(["0"]) as string[][];
        expect(second).not.toBe(first);
      },
    ),
);

Deno.test("wire - URLs it does not serve are refused up front; an unknown host is a lost connection", async () => {
  for (
    const url of [
      "postgres://chat@db:5432/chat?sslmode=require",
      "postgres://chat@db/chat?application_name=x",
      "postgres://db:5432/chat",
      "mysql://chat@db/chat",
      "postgres://chat@a:1,b:2/chat",
    ]
  ) {
    expect(() => wireTarget(url)).toThrow(WireUnsupportedError);
  }
  expect(wireTarget("postgresql://ch%40t:p%3Aw@[::1]/?sslmode=disable"))
    .toEqual({
      hostname: "::1",
      port: 5432,
      user: "ch@t",
      password: "p:w",
      database: "ch@t",
    });
  const error = await WireConnection.open(
    wireTarget("postgres://chat@db-failover.invalid:5432/chat"),
  ).then(() => undefined, (e) => e);
  expect(isLostConnection(error)).toBe(true);
});

Deno.test(
  "wire - a statement outdated by a schema change fails once, then is prepared again",
  opts,
  () =>
    withStatement(
      "SELECT * FROM wire_t ORDER BY a",
      async (statement, admin) => {
        await admin`CREATE TABLE wire_t (a int)`;
        await admin`INSERT INTO wire_t VALUES (1)`;
        expect(await statement.run([])).toEqual([["1"]]);
        await admin`ALTER TABLE wire_t ADD COLUMN b text DEFAULT 'x'`;
        await expect(statement.run([])).rejects.toMatchObject({
          code: "0A000",
        });
        expect(await statement.run([])).toEqual([["1", "x"]]);
      },
    ),
);
