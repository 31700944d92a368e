import { expect } from "expect";
import { openKvStore } from "./kv.ts";
import { until } from "@/tests/helpers/until.ts";

async function withFile(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "chat-kv-search-" });
  try {
    await fn(`${dir}/chat.kv`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function keysUnder(kv: Deno.Kv, prefix: Deno.KvKey): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix })) n++;
  return n;
}

Deno.test("kv search - a message whose indexing a crash cut short is indexed at the next start", () =>
  withFile(async (path) => {
    const store = await openKvStore({ path, historyLimit: 100 });
    await store.append({ room: "r", user: "u", text: "survivor 생존" });
    await store.search.idle();
    // As a crash right after the send's commit leaves it: the marker, no postings.
    await store.kv.set(["search_pending", "r", 1], true);
    for await (const e of store.kv.list({ prefix: ["search", "r"] })) {
      await store.kv.delete(e.key);
    }
    expect(
      (await store.search.query({ rooms: ["r"], query: "survivor", limit: 5 }))
        .hits,
    ).toEqual([]);
    await store.close();
    const again = await openKvStore({ path, historyLimit: 100 });
    try {
      const page = await again.search.query({
        rooms: ["r"],
        query: "생존",
        limit: 5,
      });
      expect(page.hits.map((h) => h.message.text)).toEqual(["survivor 생존"]);
      expect(await keysUnder(again.kv, ["search_pending"])).toBe(0);
    } finally {
      await again.close();
    }
  }));

Deno.test("kv search - messages stored before search existed are indexed once, at start", () =>
  withFile(async (path) => {
    const old = await Deno.openKv(path);
    await old.set(["seq", "r"], 2);
    await old.set(["msg", "r", 1], {
      id: 1,
      room: "r",
      user: "u",
      text: "old news",
      ts: 5,
    });
    await old.set(["msg", "r", 2], {
      id: 2,
      room: "r",
      user: "u",
      text: "",
      ts: 6,
      deleted: true,
    });
    old.close();
    const store = await openKvStore({ path, historyLimit: 100 });
    try {
      await store.search.idle();
      const page = await store.search.query({
        rooms: ["r"],
        query: "news",
        limit: 5,
      });
      expect(page.hits.map((h) => h.message.id)).toEqual([1]);
      expect((await store.kv.get(["meta", "search_indexed"])).value).toBe(true);
    } finally {
      await store.close();
    }
  }));

Deno.test("kv search - edits, deletions, retention and room removal leave no postings behind", () =>
  withFile(async (path) => {
    const store = await openKvStore({ path, historyLimit: 10 });
    try {
      const { message } = await store.append({
        room: "a",
        user: "u",
        text: "alpha beta",
      });
      await store.search.idle();
      expect(await keysUnder(store.kv, ["search", "a"])).toBe(2);
      await store.update("a", message.id, { text: "beta gamma delta" });
      expect(await keysUnder(store.kv, ["search", "a"])).toBe(3);
      await store.update("a", message.id, { text: "", deleted: true });
      expect(await keysUnder(store.kv, ["search", "a"])).toBe(0);
      for (let i = 0; i < 100; i++) {
        await store.append({ room: "b", user: "u", text: "same words" });
      }
      // Retention at id 100 keeps ids 91..100: two postings each.
      await until(async () =>
        await store.oldestId("b") === 91 &&
        await keysUnder(store.kv, ["search", "b"]) === 20, {
        what: "retention",
      });
      await store.createRoom("b");
      expect(await store.deleteRoom("b")).toBe(true);
      expect(await keysUnder(store.kv, ["search", "b"])).toBe(0);
      expect(await keysUnder(store.kv, ["search_pending"])).toBe(0);
    } finally {
      await store.close();
    }
  }));
