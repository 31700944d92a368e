import { expect } from "expect";
import { type HistorySource, replay, REPLAY_PAGE } from "./replay.ts";
import type { ChatMessage, ServerFrame } from "@/lib/shared/protocol.ts";

/** Messages `oldest`..`last` of "general"; 3 was edited and 4 deleted. */
function history(oldest: number, last: number): HistorySource {
  const all: ChatMessage[] = [];
  for (let id = oldest; id <= last; id++) {
    all.push({
      id,
      room: "general",
      user: "ana",
      text: id === 4 ? "" : `m${id}`,
      ts: id,
      ...(id === 3 ? { edited: true } : {}),
      ...(id === 4 ? { deleted: true } : {}),
    });
  }
  return {
    range: (_room, after, upTo = Number.MAX_SAFE_INTEGER) =>
      Promise.resolve(all.filter((m) => m.id > after && m.id <= upTo)),
    oldestId: () => Promise.resolve(oldest),
  };
}

function target() {
  const frames: ServerFrame[] = [];
  const messages: number[] = [];
  let drains = 0;
  return {
    frames,
    messages,
    drains: () => drains,
    gone: () => false,
    frame: (f: ServerFrame) => frames.push(f),
    message: (m: ChatMessage) => messages.push(m.id),
    drained: () => {
      drains++;
      return Promise.resolve();
    },
  };
}

Deno.test("replay - a resuming client gets edits and deletions it holds, then what it missed", async () => {
  const to = target();
  await replay(history(1, 8), to, "general", 5, 8);
  expect(to.frames).toEqual([
    { type: "edited", room: "general", id: 3, text: "m3" },
    { type: "deleted", room: "general", id: 4 },
  ]);
  expect(to.messages).toEqual([6, 7, 8]);
});

Deno.test("replay - since 0 replays everything and checks no edits", async () => {
  const to = target();
  await replay(history(1, 5), to, "general", 0, 5);
  expect(to.frames).toEqual([]);
  expect(to.messages).toEqual([1, 2, 3, 4, 5]);
});

Deno.test("replay - what retention removed is announced as a gap", async () => {
  const to = target();
  await replay(history(10, 12), to, "general", 2, 12);
  expect(to.frames).toEqual([
    { type: "gap", room: "general", since: 2, oldestId: 10 },
  ]);
  expect(to.messages).toEqual([10, 11, 12]);
});

Deno.test("replay - a long replay goes page by page, waiting for the socket to drain", async () => {
  const to = target();
  const last = 2 * REPLAY_PAGE + 5;
  await replay(history(1, last), to, "general", 0, last);
  expect(to.messages.length).toBe(last);
  expect(to.drains()).toBe(3);
});

Deno.test("replay - a client that goes away stops the replay", async () => {
  const to = { ...target(), gone: () => true };
  await replay(history(1, 3 * REPLAY_PAGE), to, "general", 0, 3 * REPLAY_PAGE);
  expect(to.messages).toEqual([]);
});
