import { expect } from "expect";
import postgres from "postgres";
import {
  connect,
  openPostgresStore,
  PostgresStore,
  StoreOpenError,
} from "./postgres.ts";
import { RoomGoneError, StoreUnavailableError } from "./store.ts";
import type { Logger } from "@/lib/server/log.ts";
import { LISTENERS_LOCK_KEY, migrate, MIGRATIONS } from "./postgres_schema.ts";
import { startPostgres } from "@/tests/helpers/postgres.ts";

/** A logger that keeps the expected outage lines out of the test output. */
const quiet = {
  error: () => {},
  warn: () => {},
  info: () => {},
  debug: () => {},
} as unknown as Logger;

/**
 * A logger keeping each line as `"<level> <message>"` in `lines`, debug
 * lines left out.
 */
function recordingLogger(): { lines: string[]; logger: Logger } {
  const lines: string[] = [];
  const line = (level: string) => (message: string) =>
    lines.push(`${level} ${message}`);
  const logger = {
    error: line("error"),
    warn: line("warn"),
    info: line("info"),
    debug: () => {},
  } as unknown as Logger;
  return { lines, logger };
}

/** A store on `url` for one test: a small pool, outage lines kept quiet. */
function openStore(
  url: string,
  options: Partial<Parameters<typeof openPostgresStore>[0]> = {},
) {
  return openPostgresStore({
    url,
    poolSize: 3,
    historyLimit: 100,
    logger: quiet,
    ...options,
  });
}

/** Another session on `url`, as another instance or an operator's. */
function session(url: string): postgres.Sql {
  return postgres(url, { max: 1, onnotice: () => {} });
}

/**
 * Runs `body` with a store on a fresh database `name` and another session
 * on it (another instance's, or an operator's); closes both after.
 */
async function withStore(
  name: string,
  options: Partial<Parameters<typeof openPostgresStore>[0]>,
  body: (
    store: PostgresStore,
    other: postgres.Sql,
    url: string,
  ) => Promise<void>,
): Promise<void> {
  await using pg = await startPostgres();
  const url = await pg.createDatabase(name);
  const store = await openStore(url, options);
  const other = session(url);
  try {
    await body(store, other, url);
  } finally {
    await other.end({ timeout: 1 });
    await store.close();
  }
}

/**
 * Runs `statement` in a transaction of `session` and keeps the transaction
 * open (its locks held, its writes uncommitted) until `commit()`.
 */
async function holdOpen(
  session: postgres.Sql,
  statement: (tx: postgres.TransactionSql) => Promise<unknown>,
): Promise<{ commit(): Promise<void> }> {
  let release!: () => void;
  const held = new Promise<void>((r) => release = r);
  let ran!: () => void;
  const hasRun = new Promise<void>((r) => ran = r);
  const transaction = session.begin(async (tx) => {
    await statement(tx);
    ran();
    await held;
  });
  await Promise.race([hasRun, transaction]);
  return {
    async commit() {
      release();
      await transaction;
    },
  };
}

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

Deno.test("postgres store - during an outage sends, joins and reads fail at once as unavailable, and work again after", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("outage");
  const { lines, logger } = recordingLogger();
  const store = await openPostgresStore({
    url,
    poolSize: 2,
    historyLimit: 100,
    logger,
  });
  try {
    await store.append({ room: "r", user: "u", text: "before" });
    await pg.crash();
    // A whole burst fails together, each call with the outage error.
    const burst = await Promise.allSettled([
      ...Array.from(
        { length: 5 },
        (_, i) => store.append({ room: "r", user: "u", text: `during${i}` }),
      ),
      store.members.add("r", { key: "k", name: "k", guest: false }),
      store.reads.set("k", "r", 1),
    ]);
    for (const result of burst) {
      expect(result.status).toBe("rejected");
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(
        StoreUnavailableError,
      );
    }
    expect(await store.healthy().catch(() => false)).toBe(false);
    await pg.start();
    const deadline = Date.now() + 20_000;
    while (!(await store.healthy().catch(() => false))) {
      if (Date.now() > deadline) throw new Error("the store did not come back");
      await new Promise((r) => setTimeout(r, 50));
    }
    const after = await store.append({ room: "r", user: "u", text: "after" });
    expect(after.message.id).toBe(2);
    expect(await store.members.add("r", { key: "k", name: "k", guest: false }))
      .toBe(true);
    expect(lines.filter((l) => l.startsWith("error")).length).toBe(1);
  } finally {
    await store.close();
  }
});

Deno.test("postgres store - calls that pass their deadline while the pool reconnects don't leave it stuck: the store is back soon after PostgreSQL is", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("stuck_pool");
  const store = await openStore(url, { poolSize: 2, deadlineMs: 300 });
  try {
    await store.members.add("r", { key: "k", name: "k", guest: false });
    await pg.crash();
    // Calls keep coming for a while: the pool's reconnections back off,
    // and calls waiting for them pass their deadline and are cancelled.
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      const calls = [store.members.get("r", "k"), store.healthy()];
      for (const result of await Promise.allSettled(calls)) {
        expect(result.status === "rejected" || result.value === false)
          .toBe(true);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await pg.start();
    const deadline = Date.now() + 15_000;
    for (;;) {
      const member = await store.members.get("r", "k").catch(() => null);
      if (member && await store.healthy().catch(() => false)) break;
      if (Date.now() > deadline) throw new Error("the store stayed stuck");
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await store.close();
  }
});

Deno.test("postgres store - completion and mentions read a range of the name index, never every member of a big room", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("name_prefix");
  const store = await openPostgresStore({ url, poolSize: 2, historyLimit: 10 });
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await Promise.all(
      Array.from(
        { length: 3000 },
        (_, i) =>
          store.members.add(i % 3 ? "big" : "other", {
            key: `k${i}`,
            name: `user${i}`,
            guest: false,
          }),
      ),
    );
    await sql`ANALYZE room_members`;
    expect(
      (await store.members.startingWith("big", "user29", 5)).map((m) => m.name),
    ).toEqual(["user29", "user290", "user2900", "user2902", "user2903"]);
    // The statements as PgMembers writes them, planned for any parameters
    // (the plan a prepared statement settles on).
    const plan = async (statement: string, args: string) => {
      await sql.unsafe(`PREPARE q AS ${statement}`);
      await sql`SET plan_cache_mode = force_generic_plan`;
      const rows = await sql.unsafe(`EXPLAIN EXECUTE q(${args})`);
      await sql`DEALLOCATE q`;
      return rows.map((r) => String(r["QUERY PLAN"])).join("\n");
    };
    const prefix = await plan(
      `SELECT key, name, guest, joined_at FROM room_members
       WHERE room = $1::text AND name_fold ~>=~ $2::text
         AND name_fold ~<~ $3::text
       ORDER BY name_fold USING ~<~, key LIMIT $4::int`,
      `'big', 'user29', 'user29' || chr(1114111), 5`,
    );
    expect(prefix).toContain("Index Scan using room_members_name_prefix");
    expect(prefix).not.toMatch(/Seq Scan|Sort/);
    const named = await plan(
      `SELECT key FROM room_members
       WHERE room = $1::text AND name_fold = ANY($2::text[]) ORDER BY key`,
      `'big', ARRAY['user29']`,
    );
    expect(named).toContain("room_members_name_prefix");
    expect(named).not.toContain("Seq Scan");
  } finally {
    await sql.end();
    await store.close();
  }
});

Deno.test("postgres store - a send PostgreSQL leaves unanswered fails as unavailable at its deadline, its statement is cancelled, the sends behind it go on, and its resend stores it once", () =>
  withStore("deadline", { deadlineMs: 500 }, async (store, blocker) => {
    await store.append({ room: "r", user: "u", text: "first" });
    // Another session holds room r's counter row: a send to r waits.
    const lock = await holdOpen(
      blocker,
      (tx) => tx`SELECT * FROM room_counters WHERE room = 'r' FOR UPDATE`,
    );
    const started = Date.now();
    const stuck = await store.append({
      room: "r",
      user: "u",
      text: "held back",
      clientId: "c-1",
    }).catch((e) => e);
    expect(stuck).toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(5_000);
    // The batch behind it is not held: another room's send goes through
    // once the probe finds PostgreSQL answering.
    const until = Date.now() + 10_000;
    let other;
    while (!other) {
      other = await store.append({ room: "s", user: "u", text: "other" })
        .catch(() => undefined);
      if (!other && Date.now() > until) throw new Error("no send went on");
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(other.message.id).toBe(1);
    // The held statement was cancelled at the deadline: nothing of it
    // commits once the lock goes, and its resend stores the message.
    await lock.commit();
    let resent;
    while (!resent) {
      resent = await store.append({
        room: "r",
        user: "u",
        text: "held back",
        clientId: "c-1",
      }).catch(() => undefined);
      if (!resent && Date.now() > until + 10_000) throw new Error("no resend");
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(resent.message.id).toBe(2);
    expect(resent.duplicate).toBe(false);
    const page = await store.history("r", 10);
    expect(page.messages.map((m) => m.text)).toEqual(["first", "held back"]);
  }));

Deno.test("postgres store - a batch of replies and a batch of reactions locking the same thread roots don't deadlock", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("roots");
  const admin = postgres(url, { max: 2, onnotice: () => {} });
  // Deadlocks would take this long to be found: a lock wait shows one.
  await admin.unsafe(`ALTER DATABASE roots SET deadlock_timeout = '60s'`);
  const store = await openPostgresStore({
    url,
    poolSize: 2,
    historyLimit: 100,
  });
  try {
    await store.append({ room: "r", user: "ann", text: "root one" }); // #1
    await store.append({ room: "r", user: "ann", text: "root two" }); // #2
    const { replies } = await admin.begin(async (tx) => {
      await tx`SET LOCAL lock_timeout = '3s'`;
      // As a batch of reactions does: roots in (room, id) order.
      await tx`SELECT 1 FROM messages WHERE room = 'r' AND id = 1
        FOR NO KEY UPDATE`;
      // One batch of replies, to #2 first, then to #1.
      const replies = Promise.all([
        store.append({ room: "r", user: "bo", text: "re two", parent: 2 }),
        store.append({ room: "r", user: "bo", text: "re one", parent: 1 }),
      ]);
      for (let i = 0; i < 100; i++) {
        const waiting = await admin<{ n: number }[]>`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = 'roots' AND wait_event_type = 'Lock'`;
        if (waiting[0].n > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      // The reactions' next root: free unless the replies' batch took it
      // before waiting for #1 (then each waits for the other).
      await tx`SELECT 1 FROM messages WHERE room = 'r' AND id = 2
        FOR NO KEY UPDATE`;
      // Wrapped: returned bare, the transaction would wait for them.
      return { replies };
    });
    expect((await replies).map((a) => a.message.id)).toEqual([3, 4]);
  } finally {
    await store.close();
    await admin.end();
  }
});

Deno.test("postgres store - deleting a reply while a batch of reactions locks its thread's first message and the reply doesn't deadlock", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("recount");
  const admin = postgres(url, { max: 2, onnotice: () => {} });
  await admin.unsafe(`ALTER DATABASE recount SET deadlock_timeout = '60s'`);
  const store = await openPostgresStore({
    url,
    poolSize: 2,
    historyLimit: 100,
  });
  try {
    await store.append({ room: "r", user: "ann", text: "root" }); // #1
    await store.append({ room: "r", user: "bo", text: "re", parent: 1 }); // #2
    const { deleted } = await admin.begin(async (tx) => {
      await tx`SET LOCAL lock_timeout = '3s'`;
      // As a batch of reactions does: messages in (room, id) order.
      await tx`SELECT 1 FROM messages WHERE room = 'r' AND id = 1
        FOR NO KEY UPDATE`;
      const deleted = store.update("r", 2, { text: "", deleted: true });
      for (let i = 0; i < 100; i++) {
        const waiting = await admin<{ n: number }[]>`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = 'recount' AND wait_event_type = 'Lock'`;
        if (waiting[0].n > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      // The reply: free unless the deletion took it before waiting for #1.
      await tx`SELECT 1 FROM messages WHERE room = 'r' AND id = 2
        FOR NO KEY UPDATE`;
      return { deleted };
    });
    expect(await deleted).toMatchObject({ id: 2, deleted: true });
    expect((await store.get("r", 1))?.thread?.replies).toBe(0);
  } finally {
    await store.close();
    await admin.end();
  }
});

Deno.test("postgres store - a room deletion PostgreSQL leaves waiting fails as unavailable at its deadline and does not delete the room later", () =>
  withStore("delete_deadline", { deadlineMs: 500 }, async (store, blocker) => {
    await store.createRoom("r");
    await store.append({ room: "r", user: "u", text: "kept" });
    // Another session holds room r's counter row: the deletion waits on it.
    const lock = await holdOpen(
      blocker,
      (tx) => tx`SELECT * FROM room_counters WHERE room = 'r' FOR UPDATE`,
    );
    const answer = await store.deleteRoom("r").catch((e) => e);
    expect(answer).toBeInstanceOf(StoreUnavailableError);
    // The caller was told it failed: once the lock goes, nothing of the
    // deletion may commit.
    await lock.commit();
    await new Promise((r) => setTimeout(r, 1_000));
    const until = Date.now() + 10_000;
    let room;
    while (room === undefined) {
      room = await store.room("r").catch(() => undefined);
      if (room === undefined && Date.now() > until) throw new Error("no read");
      if (room === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    expect(room?.id).toBe("r");
    const page = await store.history("r", 10);
    expect(page.messages.map((m) => m.text)).toEqual(["kept"]);
  }));

Deno.test("postgres store - two instances recording the same look-alike skeleton at once: one keeps it, the other skips without an error", () =>
  withStore("skeleton_race", {}, async (store, other) => {
    const account = { passwordHash: "x", createdAt: 1 };
    // Accounts from before skeletons were kept: none recorded.
    await store.accounts.insert("ada", { ...account, name: "ada" }, null);
    await store.accounts.insert("adа", { ...account, name: "adа" }, null);
    // Another instance records the skeleton for the first, not yet committed.
    const update = await holdOpen(
      other,
      (tx) =>
        tx`UPDATE accounts SET skeleton = 'ada-skeleton' WHERE key = 'ada'`,
    );
    const second = store.accounts.setSkeleton("adа", "ada-skeleton");
    await new Promise((r) => setTimeout(r, 200));
    await update.commit();
    await second;
    expect(await store.accounts.bySkeleton("ada-skeleton")).toBe("ada");
  }));

Deno.test("postgres store - a reaction, a membership and a read mark answered unavailable at their deadline never commit afterwards", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("late_batches");
  const store = await openStore(url, { deadlineMs: 500 });
  const other = session(url);
  const watcher = session(url);
  const late = async (
    lock: (tx: postgres.TransactionSql) => Promise<unknown>,
    call: () => Promise<unknown>,
  ) => {
    const held = await holdOpen(other, lock);
    const answer = await call().catch((e) => e);
    expect(answer).toBeInstanceOf(StoreUnavailableError);
    // The cancel request reaches the server on a connection of its own:
    // the lock goes once nothing waits for it any more.
    const until = Date.now() + 5_000;
    while (
      (await watcher<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'`)[0]
        .n > 0
    ) {
      if (Date.now() > until) throw new Error("the statement still waits");
      await new Promise((r) => setTimeout(r, 20));
    }
    await held.commit();
    // Long enough for a statement left running to commit.
    await new Promise((r) => setTimeout(r, 1_000));
  };
  try {
    await store.createRoom("r");
    const { message } = await store.append({
      room: "r",
      user: "u",
      text: "hi",
    });
    await store.members.add("r", { key: "a", name: "a", guest: false });
    await store.reads.set("a", "r", 0);

    await late(
      (tx) => tx`SELECT 1 FROM messages WHERE room = 'r' FOR UPDATE`,
      () =>
        store.reactions.change({
          room: "r",
          id: message.id,
          emoji: "👍",
          key: "a",
          name: "a",
          add: true,
        }),
    );
    await late(
      (tx) => tx`SELECT 1 FROM room_member_counts WHERE room = 'r' FOR UPDATE`,
      () => store.members.add("r", { key: "b", name: "b", guest: false }),
    );
    await late(
      (tx) => tx`SELECT 1 FROM read_state WHERE key = 'a' FOR UPDATE`,
      () => store.reads.set("a", "r", message.id),
    );

    const until = Date.now() + 10_000;
    while (!(await store.healthy().catch(() => false))) {
      if (Date.now() > until) throw new Error("the store did not come back");
      await new Promise((r) => setTimeout(r, 50));
    }
    expect([...(await store.reactions.summaries("r", [message.id]))])
      .toEqual([]);
    expect(await store.members.get("r", "b")).toBeNull();
    expect(await store.reads.get("a", ["r"])).toEqual(new Map([["r", 0]]));
  } finally {
    await watcher.end({ timeout: 1 });
    await other.end({ timeout: 1 });
    await store.close();
  }
});

Deno.test("postgres store - deleting an empty room while its first message commits keeps the room and the message", () =>
  withStore("delete_first_send", {}, async (store, other) => {
    await store.createRoom("r");
    // Holds the deletion back at its first step.
    const room = await holdOpen(
      other,
      (tx) => tx`SELECT 1 FROM rooms WHERE id = 'r' FOR UPDATE`,
    );
    const deletion = store.deleteRoom("r", { onlyIfEmpty: true });
    await new Promise((r) => setTimeout(r, 300));
    const sent = await store.append({ room: "r", user: "u", text: "first" });
    await room.commit();
    expect(await deletion).toBe(false);
    expect((await store.room("r"))?.id).toBe("r");
    expect((await store.get("r", sent.message.id))?.text).toBe("first");
  }));

Deno.test("postgres store - a send racing a room's deletion leaves no message without its counter: the room made again takes sends", () =>
  withStore("delete_racing_send", {}, async (store, other) => {
    // A big room's deletion takes a while: here a second per statement.
    await other.unsafe(`
      CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_sleep(1); RETURN NULL; END $$;
      CREATE TRIGGER slow AFTER DELETE ON messages
        FOR EACH STATEMENT EXECUTE FUNCTION slow();`);
    await store.createRoom("r");
    const deletion = store.deleteRoom("r");
    await new Promise((r) => setTimeout(r, 300));
    const sent = await store.append({ room: "r", user: "u", text: "late" });
    expect(await deletion).toBe(true);
    await other.unsafe(`DROP TRIGGER slow ON messages`);
    // The send waited for the deletion: it is stored after it, counted.
    const [left] = await other<{ messages: number; last: number | null }[]>`
      SELECT (SELECT count(*)::int FROM messages WHERE room = 'r') AS messages,
        (SELECT last_id::int FROM room_counters WHERE room = 'r') AS last`;
    expect(left).toEqual({ messages: 1, last: sent.message.id });
    await store.createRoom("r");
    const next = await store.append({ room: "r", user: "u", text: "again" });
    expect(next.message.id).toBe(sent.message.id + 1);
  }));

Deno.test("postgres store - a send still committing when its room is deleted is deleted with it, not shown in the room made again", () =>
  withStore("delete_committing_send", {}, async (store, other) => {
    await store.createRoom("r");
    // A bus registering holds this lock for a moment; a send's commit
    // waits for it after writing its rows.
    const registering = await holdOpen(
      other,
      (tx) =>
        tx`SELECT pg_advisory_xact_lock(${LISTENERS_LOCK_KEY.toString()}::bigint)`,
    );
    const send = store.append({ room: "r", user: "u", text: "old secret" });
    await new Promise((r) => setTimeout(r, 300));
    const deletion = store.deleteRoom("r");
    await new Promise((r) => setTimeout(r, 300));
    await registering.commit();
    expect((await send).message.id).toBe(1);
    expect(await deletion).toBe(true);
    await store.createRoom("r");
    const page = await store.history("r", 10);
    expect(page.messages).toEqual([]);
  }));

Deno.test("postgres store - a send that requires its room and waits out the room's deletion is refused, also when the room is made again before it goes on", () =>
  withStore("require_room_remade", {}, async (store, other, url) => {
    await store.createRoom("a");
    await store.createRoom("b");
    // a's deletion is under way; b is held by someone else for a while.
    const deletion = await holdOpen(
      other,
      (tx) => tx`DELETE FROM rooms WHERE id = 'a'`,
    );
    const third = session(url);
    const holdB = await holdOpen(
      third,
      (tx) => tx`SELECT id FROM rooms WHERE id = 'b' FOR UPDATE`,
    );
    // One batch: it waits for a's deletion, then for b.
    const sends = Promise.allSettled([
      store.append({ room: "a", user: "u", text: "old a", requireRoom: true }),
      store.append({ room: "b", user: "u", text: "to b", requireRoom: true }),
    ]);
    await new Promise((r) => setTimeout(r, 300));
    await deletion.commit();
    await new Promise((r) => setTimeout(r, 300));
    // a is made again while the batch still waits for b.
    expect(await store.createRoom("a")).toBe(true);
    await holdB.commit();
    await third.end({ timeout: 1 });
    const [a, b] = await sends;
    expect(a.status).toBe("rejected");
    expect((a as PromiseRejectedResult).reason).toBeInstanceOf(RoomGoneError);
    expect(b.status).toBe("fulfilled");
    expect((await store.history("a", 10)).messages).toEqual([]);
  }));

Deno.test("postgres store - a database host that stops resolving is an outage: sends are unavailable, the store unhealthy, one line logged", async () => {
  // `.invalid` never resolves (RFC 2606), as a host name gone in a DNS
  // failover does not.
  const url = "postgres://chat@db-failover.invalid:5432/chat";
  const { lines, logger } = recordingLogger();
  const store = new PostgresStore(connect(url, 2), {
    url,
    historyLimit: 100,
    logger,
  });
  try {
    const sends = await Promise.allSettled(
      [1, 2, 3].map((i) =>
        store.append({ room: "r", user: "u", text: `message ${i}` })
      ),
    );
    for (const send of sends) {
      expect(send.status).toBe("rejected");
      expect((send as PromiseRejectedResult).reason).toBeInstanceOf(
        StoreUnavailableError,
      );
    }
    expect(await store.healthy()).toBe(false);
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(/^error PostgreSQL at .* unreachable/);
  } finally {
    await store.close();
  }
});

Deno.test("postgres store - a statement slow past its deadline (a lock) fails alone: no outage, other sends go on, one warning", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("slow_not_down");
  const { lines, logger } = recordingLogger();
  const store = await openStore(url, { deadlineMs: 500, logger });
  const other = session(url);
  try {
    const { message } = await store.append({ room: "r", user: "u", text: "a" });
    const lock = await holdOpen(
      other,
      (tx) => tx`SELECT 1 FROM messages WHERE room = 'r' FOR UPDATE`,
    );
    const slow = await store.reactions.change({
      room: "r",
      id: message.id,
      emoji: "👍",
      key: "u",
      name: "u",
      add: true,
    }).catch((e) => e);
    expect(slow).toBeInstanceOf(StoreUnavailableError);
    // Sends to other rooms are not refused meanwhile.
    const other_room = await store.append({ room: "s", user: "u", text: "b" });
    expect(other_room.message.id).toBe(1);
    const until = Date.now() + 5_000;
    while (!lines.some((l) => l.startsWith("warn"))) {
      if (Date.now() > until) throw new Error(`no warning: ${lines}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await store.healthy()).toBe(true);
    expect(lines).toEqual([
      expect.stringMatching(/^warn a statement got no answer within/),
    ]);
    await lock.commit();
  } finally {
    await other.end({ timeout: 1 });
    await store.close();
  }
});

Deno.test("postgres store - rows of lapsed name holds and ended bans are deleted, as KV lets them expire", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("lapsed_rows");
  const store = await openStore(url);
  const admin = session(url);
  try {
    const now = Date.now();
    await admin`INSERT INTO name_holds (name, holder, until)
      VALUES ('long-gone', 'h1', 1), ('lapsed-just-now', 'h2', ${now - 1_000})`;
    await admin`INSERT INTO bans (room, user_name, until)
      VALUES ('r', 'served', 1), ('r', 'serving', ${now + 60_000})`;
    expect(await store.names.claim("newcomer", "h3", 60_000)).toBe(true);
    await store.bans.put({ room: "r", user: "new", until: now + 60_000 });
    const holds = await admin<{ holder: string }[]>`
      SELECT holder FROM name_holds ORDER BY holder`;
    // A hold that lapsed a moment ago stays a while (clocks of instances
    // differ); one long lapsed is gone.
    expect(holds.map((h) => h.holder)).toEqual(["h2", "h3"]);
    const bans = await admin<{ user_name: string }[]>`
      SELECT user_name FROM bans ORDER BY user_name`;
    expect(bans.map((b) => b.user_name)).toEqual(["new", "serving"]);
    expect((await store.bans.active(now)).map((b) => b.user)).toEqual([
      "new",
      "serving",
    ]);
  } finally {
    await admin.end({ timeout: 1 });
    await store.close();
  }
});

Deno.test("postgres store - sends commit on a lean connection of their own; a URL it cannot serve keeps them on the pool, said once", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("wire_path");
  const other = session(url);
  const committers = async () =>
    (await other<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE application_name = 'chat sends' AND query LIKE '%chat_append%'`)[0]
      .n;
  try {
    const lean = recordingLogger();
    const store = await openStore(url, { logger: lean.logger });
    const sent = await store.append({ room: "r", user: "u", text: "one" });
    expect(sent.message.id).toBe(1);
    expect(await committers()).toBe(1);
    expect(lean.lines).toEqual([]);
    await store.close();
    expect(await committers()).toBe(0);

    // The pool takes query parameters the lean connection does not.
    const pooled = recordingLogger();
    const fallback = await openStore(`${url}?application_name=pooled`, {
      logger: pooled.logger,
    });
    const again = await fallback.append({ room: "r", user: "u", text: "two" });
    expect(again.message.id).toBe(2);
    expect(await committers()).toBe(0);
    expect(pooled.lines).toEqual([
      "info sends commit through the postgres client's pool: {reason}",
    ]);
    expect((await fallback.history("r", 10)).messages.map((m) => m.text))
      .toEqual(["one", "two"]);
    await fallback.close();
  } finally {
    await other.end({ timeout: 1 });
  }
});
