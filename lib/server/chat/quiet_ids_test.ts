import { expect } from "expect";
import type { ChatMessage } from "@/lib/shared/protocol.ts";
import { QuietIds } from "./quiet_ids.ts";

const m = (id: number, over: Partial<ChatMessage> = {}): ChatMessage => ({
  id,
  room: "r",
  user: "ana",
  text: `m${id}`,
  ts: id,
  ...over,
});

const event = { kind: "joined" as const, users: ["bo"], count: 1 };

Deno.test("quiet ids - events and thread-only replies are no news; a reader's mentioned replies are", async () => {
  // 1 message, 2 event, 3 reply, 4 reply also in the room, 5 reply.
  const stored = [
    m(1),
    m(2, { user: "", event }),
    m(3, { parent: 1 }),
    m(4, { parent: 1, alsoInRoom: true }),
    m(5, { parent: 1 }),
  ];
  const reads: number[][] = [];
  const quiet = new QuietIds({
    range: (_room, after, upTo) => {
      reads.push([after, upTo ?? Infinity]);
      return Promise.resolve(
        stored.filter((s) => s.id > after && s.id <= (upTo ?? Infinity)),
      );
    },
  });
  let asked = 0;
  const mentioned = (ids: number[]) => () => {
    asked++;
    return Promise.resolve(ids);
  };
  expect(await quiet.unread("r", 0, 5, mentioned([]))).toBe(2);
  expect(await quiet.unread("r", 0, 5, mentioned([3, 4]))).toBe(3);
  expect(await quiet.unread("r", 3, 5, mentioned([3, 4, 5]))).toBe(2);
  // No thread-only reply in the range: the mentions are not asked for.
  asked = 0;
  expect(await quiet.unread("r", 0, 2, mentioned([3]))).toBe(1);
  expect(asked).toBe(0);
  // Each message was read from the store once.
  expect(reads).toEqual([[0, Infinity]]);
  // Later ones come from the bus.
  quiet.note(m(6, { parent: 1 }));
  quiet.note(m(7, { user: "", event }));
  quiet.note(m(8));
  expect(await quiet.unread("r", 5, 8, mentioned([6]))).toBe(2);
  expect(await quiet.unread("r", 5, 8, mentioned([]))).toBe(1);
  expect(reads).toHaveLength(1);
  quiet.forget("r");
  expect(await quiet.unread("r", 4, 5, mentioned([]))).toBe(0);
  expect(reads).toEqual([[0, Infinity], [4, Infinity]]);
});

Deno.test("quiet ids - what a room no longer keeps is let go: a million thread-only replies hold at most twice HISTORY_LIMIT ids; counts near the newest stay right", async () => {
  const quiet = new QuietIds({
    range: () => Promise.resolve([]),
    keep: 1000,
  });
  // Asked once, so the room is followed from now on.
  await quiet.unread("r", -1, 0, () => Promise.resolve([]));
  for (let id = 1; id <= 100_000; id++) quiet.note(m(id, { parent: 1 }));
  expect(quiet.held("r")).toBeLessThanOrEqual(2000);
  expect(quiet.held("r")).toBeGreaterThanOrEqual(1000);
  // The last 500 ids are all thread-only replies: no news.
  expect(await quiet.unread("r", 99_500, 100_000, () => Promise.resolve([])))
    .toBe(0);
});
