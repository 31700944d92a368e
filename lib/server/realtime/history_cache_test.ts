import { expect } from "expect";
import type { ChatMessage } from "@/lib/shared/protocol.ts";
import { HistoryCache } from "./history_cache.ts";

const message = (id: number): ChatMessage => ({
  id,
  room: "general",
  user: "mina",
  text: `m${id}`,
  ts: id,
});

Deno.test("history cache - clients coming back together share one read; an edit or the TTL makes it read again; failures are not kept", async () => {
  const clock = { now: 0 };
  let reads = 0;
  let fail = false;
  const cache = new HistoryCache({
    range: (_room, after, upTo) => {
      reads++;
      if (fail) return Promise.reject(new Error("store down"));
      const out: ChatMessage[] = [];
      for (let id = after + 1; id <= (upTo ?? 10); id++) out.push(message(id));
      return Promise.resolve(out);
    },
    oldestId: () => Promise.resolve(1),
  }, { ttlMs: 1000, now: () => clock.now });
  const pages = await Promise.all(
    Array.from({ length: 500 }, () => cache.range("general", 4, 10)),
  );
  expect(reads).toBe(1);
  expect(pages[499].map((m) => m.id)).toEqual([5, 6, 7, 8, 9, 10]);
  clock.now = 999;
  await cache.range("general", 4, 10);
  expect(reads).toBe(1);
  await cache.range("general", 3, 10); // another range: its own read
  expect(reads).toBe(2);
  cache.invalidate("general");
  await cache.range("general", 4, 10);
  expect(reads).toBe(3);
  clock.now = 2500;
  cache.sweep();
  await cache.range("general", 4, 10);
  expect(reads).toBe(4);
  cache.invalidate("general");
  fail = true;
  await expect(cache.range("general", 4, 10)).rejects.toThrow("store down");
  fail = false;
  expect((await cache.range("general", 4, 10)).length).toBe(6);
  expect(reads).toBe(6);
});
