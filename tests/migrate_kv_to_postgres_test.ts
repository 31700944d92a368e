/**
 * `deno task migrate-kv-to-postgres`, run as a process on a real KV file and
 * a real PostgreSQL: everything arrives, ids continue where KV left off, and
 * a second run copies nothing and changes nothing.
 */
import { expect } from "expect";
import { openKvStore } from "@/lib/server/store/kv.ts";
import { openPostgresStore } from "@/lib/server/store/postgres.ts";
import { Accounts } from "@/lib/server/auth/accounts.ts";
import { Roles } from "@/lib/server/auth/roles.ts";
import { startPostgres } from "@/tests/helpers/postgres.ts";

const CHEAP = { N: 1024, r: 8, p: 1 };

async function runTask(env: Record<string, string>) {
  const root = new URL("../", import.meta.url).pathname;
  const out = await new Deno.Command("deno", {
    args: ["task", "-q", "migrate-kv-to-postgres"],
    cwd: root,
    env: { ...env, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `task failed (${out.code}):\n${text}${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  return Object.fromEntries(
    text.trim().split("\n").map((line) => {
      const m = line.match(/^(.+): (\d+) read, (\d+) copied$/);
      if (!m) throw new Error(`unexpected output line: ${line}`);
      return [m[1], { read: Number(m[2]), copied: Number(m[3]) }];
    }),
  );
}

Deno.test("migrate-kv-to-postgres - copies history, rooms, members, read state and accounts; a second run changes nothing", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("moving");
  const dir = await Deno.makeTempDir({ prefix: "chat-migrate-" });
  const kvPath = `${dir}/chat.kv`;
  try {
    // A KV file as a single instance leaves it.
    const kv = await openKvStore({ path: kvPath, historyLimit: 150 });
    await kv.createRoom("general");
    await kv.createRoom("dev", {
      owner: "mina",
      name: "mina",
      from: "10.0.0.1",
    });
    for (let i = 1; i <= 320; i++) {
      await kv.append({ room: "general", user: "ben", text: `m${i}` });
    }
    await kv.append({
      room: "dev",
      user: "gus",
      text: "guest",
      clientId: "c1",
      guest: true,
      author: "g:token",
    });
    await kv.append({
      room: "dev",
      user: "mina",
      text: "typo",
      clientId: "c2",
    });
    await kv.update("dev", 2, { text: "fixed", edited: true });
    await kv.append({ room: "dev", user: "mina", text: "oops" });
    await kv.update("dev", 3, { text: "", deleted: true });
    // A thread: two replies to message 2 (one also in the room), with its
    // participants.
    await kv.append({ room: "dev", user: "gus", text: "re", parent: 2 });
    await kv.append({
      room: "dev",
      user: "mina",
      text: "re too",
      parent: 2,
      alsoInRoom: true,
    });
    await kv.threads.join("dev", 2, ["mina", "g:token"]);
    const accounts = new Accounts(kv.accounts, { cost: CHEAP });
    await accounts.register("Mina", "correct horse battery");
    await new Roles(kv.roles, accounts).grant("mina");
    await kv.sessions.put("digest", {
      user: "Mina",
      createdAt: Date.now(),
      expiresAt: Date.now() + 60_000,
    });
    await kv.bans.put({
      room: "dev",
      user: "troll",
      until: Date.now() + 60_000,
    });
    // Membership, read state and mentions; a private room with a topic.
    await kv.createRoom("secret", { owner: "mina" }, {
      kind: "private",
      topic: "plans",
    });
    await Promise.all(
      Array.from({ length: 620 }, (_, i) =>
        kv.members.add("general", {
          key: `u${i}`,
          name: `u${i}`,
          guest: i % 2 === 0,
        })),
    );
    await kv.members.add("secret", { key: "mina", name: "Mina", guest: false });
    await kv.members.add("dev", { key: "mina", name: "Mina", guest: false });
    await kv.reads.set("mina", "dev", 2);
    await kv.reads.set("u1", "general", 300);
    await kv.reads.mention("dev", 3, ["mina"]);
    await kv.reads.mention("dev", 1, ["mina"]);
    await kv.closedDms.close("mina", "dm-aaaaaaaaaaaaaaaaaaaaaaaa", 4);
    // A reaction and a pin of a kept message.
    await kv.reactions.change({
      room: "dev",
      id: 2,
      emoji: "👍",
      key: "mina",
      name: "Mina",
      add: true,
    });
    await kv.pins.pin("dev", 2, "Mina");
    const kvMembers = await kv.members.list("general", { limit: 1000 });
    // Retention has pruned the oldest of general's history.
    const deadline = Date.now() + 10_000;
    while ((await kv.oldestId("general")) <= 100) {
      if (Date.now() > deadline) throw new Error("retention did not run");
      await new Promise((r) => setTimeout(r, 20));
    }
    const kvGeneral = await kv.range("general", 0);
    const kvDev = await kv.range("dev", 0);
    const kvRooms = await kv.rooms();
    await kv.close();

    const env = { KV_PATH: kvPath, DATABASE_URL: url, HISTORY_LIMIT: "150" };
    const first = await runTask(env);
    expect(first.rooms).toEqual({ read: 3, copied: 3 });
    expect(first.members).toEqual({ read: 622, copied: 622 });
    expect(first["read state"]).toEqual({ read: 2, copied: 2 });
    expect(first.mentions).toEqual({ read: 2, copied: 2 });
    expect(first["closed DMs"]).toEqual({ read: 1, copied: 1 });
    expect(first.reactions).toEqual({ read: 1, copied: 1 });
    expect(first.pins).toEqual({ read: 1, copied: 1 });
    expect(first.messages).toEqual({
      read: kvGeneral.length + 5,
      copied: kvGeneral.length + 5,
    });
    expect(first["thread participants"]).toEqual({ read: 2, copied: 2 });
    expect(first.accounts).toEqual({ read: 1, copied: 1 });
    expect(first["admin roles"]).toEqual({ read: 1, copied: 1 });
    expect(first["login sessions"]).toEqual({ read: 1, copied: 1 });
    expect(first.bans).toEqual({ read: 1, copied: 1 });

    const store = await openPostgresStore({
      url,
      poolSize: 2,
      historyLimit: 150,
    });
    try {
      expect(await store.range("general", 0)).toEqual(kvGeneral);
      expect(await store.range("dev", 0)).toEqual(kvDev);
      // Replies keep their parent, the first message its summary.
      expect(kvDev[1].thread).toMatchObject({ replies: 2, lastId: 5 });
      expect(
        (await store.threads.replies("dev", 2, { limit: 10 })).messages,
      ).toEqual(kvDev.slice(3));
      expect(await store.threads.participants("dev", 2)).toEqual([
        "g:token",
        "mina",
      ]);
      // The copied messages are searchable (an edit's text, not a deletion's).
      const found = await store.search.query({
        rooms: ["dev"],
        query: "fixed",
        limit: 5,
      });
      expect(found.hits.map((h) => h.message.id)).toEqual([2]);
      expect(await store.rooms()).toEqual(kvRooms);
      expect(await store.roomsCreatedBy("mina")).toBe(1);
      expect(await store.roomsCreatedFrom("10.0.0.1")).toBe(1);
      expect(await store.author("dev", 1)).toBe("g:token");
      expect(await store.room("secret")).toMatchObject({
        kind: "private",
        topic: "plans",
      });
      expect((await store.publicRooms({ limit: 10 })).rooms.map((r) => r.id))
        .toEqual(["dev", "general"]);
      expect(await store.members.count("general")).toBe(620);
      expect(await store.members.list("general", { limit: 1000 })).toEqual(
        kvMembers,
      );
      expect(await store.members.roomsOf("mina")).toEqual(["dev", "secret"]);
      expect(
        await store.closedDms.get("mina", ["dm-aaaaaaaaaaaaaaaaaaaaaaaa"]),
      ).toEqual(new Map([["dm-aaaaaaaaaaaaaaaaaaaaaaaa", 4]]));
      expect(await store.reads.get("mina", ["dev", "general"])).toEqual(
        new Map([["dev", 2], ["general", 0]]),
      );
      expect(await store.reads.get("u1", ["general"])).toEqual(
        new Map([["general", 300]]),
      );
      expect(await store.reads.mentionsAfter("mina", "dev", 2)).toBe(1);
      expect((await store.reactions.summaries("dev", [2], "mina")).get(2))
        .toEqual([{ emoji: "👍", count: 1, users: ["Mina"], mine: true }]);
      expect((await store.pins.list("dev")).map((p) => [p.id, p.by])).toEqual(
        [[2, "Mina"]],
      );
      const pgAccounts = new Accounts(store.accounts, { cost: CHEAP });
      expect(await pgAccounts.verify("mina", "correct horse battery"))
        .not.toBe(null);
      expect(await new Roles(store.roles, pgAccounts).isAdmin("Mina")).toBe(
        true,
      );
      expect(await store.sessions.get("digest")).toMatchObject({
        user: "Mina",
      });
      expect((await store.bans.active(Date.now())).map((b) => b.user))
        .toEqual(["troll"]);
      // A resend of a send made on KV is still answered with the original.
      const again = await store.append({
        room: "dev",
        user: "gus",
        text: "guest",
        clientId: "c1",
        guest: true,
        author: "g:token",
      });
      expect(again).toMatchObject({ duplicate: true, message: { id: 1 } });

      // The second run: everything read again, nothing copied, nothing changed.
      const before = await store.range("general", 0);
      const second = await runTask(env);
      for (const [kind, c] of Object.entries(second)) {
        expect({ kind, copied: c.copied }).toEqual({ kind, copied: 0 });
        expect(c.read).toBe(first[kind].read);
      }
      expect(await store.range("general", 0)).toEqual(before);
      expect(await store.members.count("general")).toBe(620);
      expect(
        await store.members.add("general", {
          key: "u7",
          name: "u7",
          guest: false,
        }),
      ).toBe(false);
      // Ids continue after the last one KV gave.
      const next = await store.append({
        room: "general",
        user: "ben",
        text: "x",
      });
      expect(next.message.id).toBe(321);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
