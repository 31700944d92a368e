import { expect } from "expect";
import type {
  ChatMessage,
  Reaction,
  ServerFrame,
} from "@/lib/shared/protocol.ts";
import { logger } from "@/lib/server/log.ts";
import { type ChangeSource, RecentChanges } from "./recent_changes.ts";

/** A room "r" of messages 1..`last`, changed at will, counting its reads. */
function room(last: number) {
  const messages = new Map<number, ChatMessage>();
  for (let id = 1; id <= last; id++) {
    messages.set(id, { id, room: "r", user: "ana", text: `m${id}`, ts: id });
  }
  const reactions = new Map<number, Reaction[]>();
  const reads = { range: [] as [number, number | undefined][], reactions: 0 };
  let hold: Promise<void> | undefined;
  const source: ChangeSource = {
    async range(_room, after, upTo = Infinity) {
      reads.range.push([after, upTo]);
      // A snapshot now, returned once `hold` (if any) is over.
      const read = [...messages.values()]
        .filter((m) => m.id > after && m.id <= upTo)
        .map((m) => ({ ...m }));
      await hold;
      return read;
    },
    reactions(_room, ids) {
      reads.reactions++;
      const out = new Map<number, Reaction[]>();
      for (const id of ids) {
        if (reactions.has(id)) out.set(id, reactions.get(id)!);
      }
      return Promise.resolve(out);
    },
  };
  const sent: ServerFrame[] = [];
  const changes = new RecentChanges({
    source,
    send: (_room, frame) => sent.push(frame),
    log: logger("test"),
    window: 10,
  });
  return {
    messages,
    reactions,
    reads,
    sent,
    changes,
    edit(id: number, text: string) {
      messages.set(id, { ...messages.get(id)!, text, edited: true });
    },
    remove(id: number) {
      messages.set(id, { ...messages.get(id)!, text: "", deleted: true });
    },
    /** Reads wait until the returned function is called. */
    hold(): () => void {
      let release!: () => void;
      hold = new Promise((r) => release = r);
      return () => {
        hold = undefined;
        release();
      };
    },
  };
}

const thumbs = (n: number): Reaction[] => [
  { emoji: "👍", count: n, users: ["ana"] },
];

Deno.test("recent changes - a catch-up sends only what changed since the sockets were told, one frame per change and one for reactions", async () => {
  const r = room(5);
  for (const m of r.messages.values()) r.changes.delivered(m);
  // Told live before the bus lost anything.
  r.edit(2, "fixed");
  r.changes.told("r", { type: "edited", room: "r", id: 2, text: "fixed" });
  r.reactions.set(1, thumbs(1));
  r.changes.told("r", {
    type: "reactions",
    room: "r",
    messages: [{ id: 1, reactions: thumbs(1) }],
  });
  // Missed: an edit, a deletion, a reaction added and one taken off.
  r.edit(3, "better");
  r.remove(4);
  r.reactions.set(5, thumbs(2));
  r.reactions.delete(1);
  await r.changes.catchUp("r", 5);
  expect(r.sent).toEqual([
    { type: "edited", room: "r", id: 3, text: "better" },
    { type: "deleted", room: "r", id: 4 },
    {
      type: "reactions",
      room: "r",
      messages: [{ id: 1, reactions: [] }, { id: 5, reactions: thumbs(2) }],
    },
  ]);
  expect(r.reads).toEqual({ range: [[0, 5]], reactions: 1 });
  // Nothing changed since: nothing is sent.
  await r.changes.catchUp("r", 5);
  expect(r.sent.length).toBe(3);
  // An edit of an edit is one more frame.
  r.edit(3, "best");
  await r.changes.catchUp("r", 5);
  expect(r.sent.slice(3)).toEqual([
    { type: "edited", room: "r", id: 3, text: "best" },
  ]);
});

Deno.test("recent changes - messages stored before the room was watched are sent once as they are, then only changes", async () => {
  const r = room(3);
  r.edit(1, "fixed");
  r.remove(2);
  r.reactions.set(3, thumbs(1));
  // 4 is delivered live: known from its start.
  r.messages.set(4, { id: 4, room: "r", user: "bo", text: "m4", ts: 4 });
  r.changes.delivered(r.messages.get(4)!);
  await r.changes.catchUp("r", 4);
  expect(r.sent).toEqual([
    { type: "edited", room: "r", id: 1, text: "fixed" },
    { type: "deleted", room: "r", id: 2 },
    {
      type: "reactions",
      room: "r",
      // Unknown: sent even with none (one might have been taken off).
      messages: [
        { id: 1, reactions: [] },
        { id: 2, reactions: [] },
        { id: 3, reactions: thumbs(1) },
      ],
    },
  ]);
  await r.changes.catchUp("r", 4);
  expect(r.sent.length).toBe(3);
  r.reactions.delete(3);
  await r.changes.catchUp("r", 4);
  expect(r.sent.slice(3)).toEqual([
    { type: "reactions", room: "r", messages: [{ id: 3, reactions: [] }] },
  ]);
});

Deno.test("recent changes - only the latest messages up to the last delivered are read", async () => {
  const r = room(30);
  r.changes.delivered(r.messages.get(30)!);
  r.edit(5, "too old to look at");
  r.edit(25, "recent");
  await r.changes.catchUp("r", 30);
  expect(r.reads.range).toEqual([[20, 30]]);
  expect(r.sent.filter((f) => f.type === "edited")).toEqual([
    { type: "edited", room: "r", id: 25, text: "recent" },
  ]);
});

Deno.test("recent changes - what was told while the read ran is newer than the read: kept, not sent again", async () => {
  const r = room(3);
  for (const m of r.messages.values()) r.changes.delivered(m);
  r.edit(2, "first");
  const release = r.hold();
  const caught = r.changes.catchUp("r", 3);
  // The read has its snapshot ("first"); a later edit arrives live.
  await Promise.resolve();
  r.edit(2, "second");
  r.changes.told("r", { type: "edited", room: "r", id: 2, text: "second" });
  release();
  await caught;
  expect(r.sent).toEqual([]);
  await r.changes.catchUp("r", 3);
  expect(r.sent).toEqual([]);
});

Deno.test("recent changes - catch-ups asked while one runs are one more, after it", async () => {
  const r = room(3);
  for (const m of r.messages.values()) r.changes.delivered(m);
  const release = r.hold();
  const first = r.changes.catchUp("r", 3);
  await Promise.resolve();
  r.edit(1, "meanwhile");
  r.changes.catchUp("r", 3);
  const third = r.changes.catchUp("r", 3);
  release();
  await Promise.all([first, third]);
  expect(r.reads.range.length).toBe(2);
  expect(r.sent).toEqual([
    { type: "edited", room: "r", id: 1, text: "meanwhile" },
  ]);
});

Deno.test("recent changes - a forgotten room's catch-up sends nothing; a failed read is logged, never thrown", async () => {
  const r = room(3);
  r.edit(1, "x");
  const release = r.hold();
  const caught = r.changes.catchUp("r", 3);
  r.changes.forget("r");
  release();
  await caught;
  expect(r.sent).toEqual([]);
  const failing = new RecentChanges({
    source: {
      range: () => Promise.reject(new Error("store down")),
      reactions: () => Promise.resolve(new Map()),
    },
    send: () => {
      throw new Error("nothing to send");
    },
    log: logger("test"),
  });
  await failing.catchUp("r", 3);
});

Deno.test("recent changes - a missed deletion of a reply brings its thread's summary as stored, when the first message is among those read", async () => {
  const r = room(4);
  const summary = { replies: 1, lastId: 4, lastTs: 3, users: ["bo"] };
  r.messages.set(1, { ...r.messages.get(1)!, thread: summary });
  r.messages.set(3, { ...r.messages.get(3)!, parent: 1, user: "bo" });
  r.messages.set(4, { ...r.messages.get(4)!, parent: 1, user: "cy" });
  for (const m of r.messages.values()) r.changes.delivered(m);
  r.remove(4);
  await r.changes.catchUp("r", 4);
  expect(r.sent).toEqual([
    { type: "deleted", room: "r", id: 4, parent: 1, thread: summary },
  ]);
});
