import { expect } from "expect";
import { ReactionStore } from "./reactions.ts";
import { whoReacted } from "./who_reacted.ts";

Deno.test("reaction store - live frames replace counts, mine comes from answers and reacted", () => {
  const s = new ReactionStore();
  s.apply({
    type: "reactions",
    room: "r",
    mine: true,
    messages: [{
      id: 1,
      reactions: [{ emoji: "👍", count: 2, users: ["a", "me"], mine: true }],
    }],
  });
  expect([...s.of("r", 1).value.mine]).toEqual(["👍"]);
  s.apply({
    type: "reactions",
    room: "r",
    messages: [{
      id: 1,
      reactions: [
        { emoji: "👍", count: 3, users: ["a", "me", "b"] },
        { emoji: "🎉", count: 1, users: ["c"] },
      ],
    }],
  });
  expect(s.of("r", 1).value.list.map((r) => r.count)).toEqual([3, 1]);
  expect([...s.of("r", 1).value.mine]).toEqual(["👍"]);
  s.apply({ type: "reacted", room: "r", id: 1, emoji: "🎉", added: true });
  s.apply({ type: "reacted", room: "r", id: 1, emoji: "👍", added: false });
  expect([...s.of("r", 1).value.mine]).toEqual(["🎉"]);
});

Deno.test("reaction store - each message is asked about once per join, the newest 500 at most", () => {
  const s = new ReactionStore();
  const ids = Array.from({ length: 600 }, (_, i) => i + 1);
  expect(s.toAsk("r", ids)).toEqual(ids.slice(100));
  expect(s.toAsk("r", ids.slice(100))).toEqual([]);
  expect(s.toAsk("q", [1])).toEqual([1]);
  s.apply({
    type: "joined",
    room: "r",
    users: [],
    lastId: 0,
    lastRead: 0,
    members: 1,
    online: 1,
  });
  expect(s.toAsk("r", [1, 2])).toEqual([1, 2]);
  expect(s.toAsk("q", [1])).toEqual([]);
});

Deno.test("reaction store - a message that came live after the join is not asked about (its reactions come live); replayed ones are", () => {
  const s = new ReactionStore();
  const joined = (lastId: number) =>
    s.apply({
      type: "joined",
      room: "r",
      users: [],
      lastId,
      lastRead: 0,
      members: 1,
      online: 1,
    });
  const message = (id: number) =>
    s.apply({ type: "message", id, room: "r", user: "ana", text: "", ts: id });
  // Before any join, nothing is known to be live.
  message(1);
  expect(s.toAsk("r", [1])).toEqual([1]);
  joined(5);
  message(4); // a replay of what was missed
  message(6);
  message(7);
  expect(s.toAsk("r", [3, 4, 5, 6, 7])).toEqual([3, 4, 5]);
  // Joined again: live ones of before are asked about with the rest.
  joined(7);
  message(8);
  expect(s.toAsk("r", [6, 7, 8])).toEqual([6, 7]);
  // Each room's joins are counted apart (its pins are asked for again on
  // its own joins, not on every room's).
  expect(s.joinsIn("r")).toBe(2);
  expect(s.joinsIn("q")).toBe(0);
});

Deno.test("reaction store - pins follow pins, pinned, unpinned and edited", () => {
  const s = new ReactionStore();
  const message = (id: number) => ({
    id,
    room: "r",
    user: "a",
    text: `m${id}`,
    ts: 1,
  });
  expect(s.pinsOf("r").value).toBe(null);
  // A pin before the list was asked for waits for the list.
  s.apply({
    type: "pinned",
    room: "r",
    pin: { message: message(3), by: "o", ts: 0 },
  });
  expect(s.pinsOf("r").value).toBe(null);
  s.apply({
    type: "pins",
    room: "r",
    pins: [{ message: message(1), by: "o", ts: 1 }],
  });
  s.apply({
    type: "pinned",
    room: "r",
    pin: { message: message(2), by: "o", ts: 2 },
  });
  expect(s.pinsOf("r").value?.map((p) => p.message.id)).toEqual([2, 1]);
  s.apply({ type: "unpinned", room: "r", id: 2 });
  expect(s.pinsOf("r").value?.map((p) => p.message.id)).toEqual([1]);
  // An edit of a pinned message shows in the list; others change nothing.
  s.apply({ type: "edited", room: "r", id: 1, text: "better" });
  s.apply({ type: "edited", room: "r", id: 9, text: "elsewhere" });
  s.apply({ type: "edited", room: "q", id: 1, text: "other room" });
  expect(s.pinsOf("r").value).toEqual([
    {
      message: { ...message(1), text: "better", edited: true },
      by: "o",
      ts: 1,
    },
  ]);
  expect(s.pinsOf("q").value).toBe(null);
});

Deno.test("reaction store - who reacted names the first and counts the rest", () => {
  expect(whoReacted({ emoji: "👍", count: 1, users: ["bo"] })).toBe("👍 by bo");
  expect(whoReacted({ emoji: "👍", count: 4, users: ["bo", "gus"] })).toBe(
    "👍 by bo, gus and 2 more",
  );
});
