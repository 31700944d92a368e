import { expect } from "expect";
import postgres from "postgres";
import { openPostgresStore } from "./postgres.ts";
import { migrate, MIGRATIONS } from "./postgres_schema.ts";
import { startPostgres } from "@/tests/helpers/postgres.ts";

Deno.test("postgres search - messages stored before migration 8 are indexed at start", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("search_upgrade");
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await migrate(sql, MIGRATIONS.filter((m) => m.version < 8));
    await sql`INSERT INTO messages (room, id, user_name, text, ts, sender)
      VALUES ('r', 1, 'u', '오래된 소식 old news', 5, 'u'),
        ('r', 2, '', 'u joined news', 6, ''),
        ('r', 3, 'u', 'more news', 7, 'u')`;
  } finally {
    await sql.end();
  }
  const store = await openPostgresStore({
    url,
    poolSize: 2,
    historyLimit: 100,
  });
  try {
    await store.search.idle();
    const page = await store.search.query({
      rooms: ["r"],
      query: "news",
      limit: 5,
    });
    expect(page.hits.map((h) => h.message.id)).toEqual([3, 1]);
    const korean = await store.search.query({
      rooms: ["r"],
      query: "소식",
      limit: 5,
    });
    expect(korean.hits.map((h) => h.highlights)).toEqual([[[4, 6]]]);
  } finally {
    await store.close();
  }
});
