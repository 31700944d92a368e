import { expect } from "expect";
import postgres from "postgres";
import { openPostgresStore, StoreOpenError } from "./postgres.ts";
import { migrate, MIGRATIONS } from "./postgres_schema.ts";
import { startPostgres } from "@/tests/helpers/postgres.ts";

Deno.test("postgres store - instances starting together apply each migration once", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("race");
  const stores = await Promise.all(
    Array.from(
      { length: 5 },
      () => openPostgresStore({ url, poolSize: 2, historyLimit: 100 }),
    ),
  );
  try {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    const rows = await sql<{ version: number }[]>`
      SELECT version FROM schema_migrations ORDER BY version`;
    await sql.end();
    expect(rows.map((r) => r.version)).toEqual(
      MIGRATIONS.map((m) => m.version),
    );
    // Each works: one send through each, ids 1..5 without gaps.
    const ids = await Promise.all(
      stores.map((s, i) => s.append({ room: "r", user: `u${i}`, text: "hi" })),
    );
    expect(ids.map((a) => a.message.id).sort()).toEqual([1, 2, 3, 4, 5]);
  } finally {
    for (const s of stores) await s.close();
  }
});

Deno.test("postgres store - a URL that leads nowhere is one line, without the password", async () => {
  const error = await openPostgresStore({
    url: "postgres://chat:s3cret@127.0.0.1:1/chat",
    poolSize: 1,
    historyLimit: 100,
  }).catch((e) => e);
  expect(error).toBeInstanceOf(StoreOpenError);
  expect(error.message).toMatch(
    /^DATABASE_URL: cannot use PostgreSQL at postgres:\/\/chat:\*\*\*@127\.0\.0\.1:1\/chat: .*ECONNREFUSED/,
  );
  expect(error.message).not.toContain("s3cret");
  expect(error.message).not.toContain("\n");
});

Deno.test("postgres store - rooms from before room kinds read as public", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("upgrade");
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await migrate(sql, MIGRATIONS.filter((m) => m.version < 5));
    await sql`INSERT INTO rooms (id, created_by, created_at)
      VALUES ('general', NULL, 1), ('dev', 'mina', 2)`;
  } finally {
    await sql.end();
  }
  const store = await openPostgresStore({
    url,
    poolSize: 2,
    historyLimit: 100,
  });
  try {
    expect(await store.room("dev")).toEqual({
      id: "dev",
      createdBy: "mina",
      createdAt: 2,
      kind: "public",
    });
    expect((await store.publicRooms({ limit: 10 })).rooms.map((r) => r.id))
      .toEqual(["dev", "general"]);
  } finally {
    await store.close();
  }
});
