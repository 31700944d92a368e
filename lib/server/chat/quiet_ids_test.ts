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

Deno.test("quiet ids - what a room no longer keeps is let go: a hundred thousand thread-only replies hold at most twice HISTORY_LIMIT ids; counts near the newest stay right", async () => {
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

Deno.test("quiet ids - deleted messages are no news, whether the deletion came on the bus or was stored before, and count once", async () => {
  // 1 message, 2 deleted, 3 reply (deleted later), 4 message, 5 event.
  const stored = [
    m(1),
    m(2, { text: "", deleted: true }),
    m(3, { parent: 1 }),
    m(4),
    m(5, { user: "", event }),
  ];
  const quiet = new QuietIds({
    range: (_room, after, upTo) =>
      Promise.resolve(
        stored.filter((s) => s.id > after && s.id <= (upTo ?? Infinity)),
      ),
  });
  const none = () => Promise.resolve([]);
  // Read from the store: 1 and 4 are news.
  expect(await quiet.unread("r", 0, 5, none)).toBe(2);
  // Deleted on the bus: the reply was quiet already, the message no more.
  quiet.deleted("r", 3);
  quiet.deleted("r", 4);
  quiet.deleted("r", 4);
  expect(await quiet.unread("r", 0, 5, none)).toBe(1);
  expect(await quiet.unread("r", 3, 5, none)).toBe(0);
  // Later messages, one deleted before a count looks.
  quiet.note(m(6));
  quiet.note(m(7));
  quiet.deleted("r", 7);
  expect(await quiet.unread("r", 5, 7, none)).toBe(1);
  expect(quiet.held("r")).toBe(5);
});

Deno.test("quiet ids - a deletion noted before the room's load is not counted twice with what the load finds", async () => {
  const stored = [m(1), m(2, { parent: 1 }), m(3)];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const quiet = new QuietIds({
    range: async (_room, after, upTo) => {
      await gate;
      return stored.filter((s) => s.id > after && s.id <= (upTo ?? Infinity));
    },
  });
  const none = () => Promise.resolve([]);
  const counting = quiet.unread("r", 0, 3, none);
  // The reply is deleted while the load (which saw it whole) is in flight.
  quiet.deleted("r", 2);
  release();
  expect(await counting).toBe(2);
});
