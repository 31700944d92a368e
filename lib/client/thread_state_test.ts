import { expect } from "expect";
import type { ChatMessage } from "@/lib/shared/protocol.ts";
import {
  inTimeline,
  ThreadState,
  withoutReply,
  withReply,
} from "./thread_state.ts";
import { ChatStore } from "./chat_store.ts";

const msg = (id: number, user: string, extra: Partial<ChatMessage> = {}) => ({
  id,
  room: "general",
  user,
  text: `m${id}`,
  ts: id * 1000,
  ...extra,
});

Deno.test("thread state - a reply counts once in its first message's summary, newest replier first", () => {
  let root: ChatMessage = msg(1, "ana");
  root = withReply(root, msg(3, "bo", { parent: 1 }));
  root = withReply(root, msg(4, "cy", { parent: 1 }));
  root = withReply(root, msg(5, "bo", { parent: 1 }));
  // Replayed after a reconnect: counted already.
  root = withReply(root, msg(4, "cy", { parent: 1 }));
  expect(root.thread).toEqual({
    replies: 3,
    lastId: 5,
    lastTs: 5000,
    users: ["bo", "cy"],
  });
  expect(inTimeline(msg(5, "bo", { parent: 1 }))).toBe(false);
  expect(inTimeline(msg(5, "bo", { parent: 1, alsoInRoom: true }))).toBe(true);
  expect(inTimeline(root)).toBe(true);
});

Deno.test("thread state - a deleted reply: the summary its deletion brought, or one fewer when the page knows newer replies; a reply deleted before it came doesn't count", () => {
  let root: ChatMessage = msg(1, "ana");
  root = withReply(root, msg(3, "bo", { parent: 1 }));
  root = withReply(root, msg(4, "cy", { parent: 1 }));
  const after = { replies: 1, lastId: 4, lastTs: 3000, users: ["bo"] };
  expect(withoutReply(root, after).thread).toEqual(after);
  // The same deletion told twice: the same summary.
  expect(withoutReply(withoutReply(root, after), after).thread).toEqual(after);
  // A reply newer than the summary the deletion brought: one fewer.
  const newer = withReply(root, msg(5, "cy", { parent: 1 }));
  expect(withoutReply(newer, after).thread).toMatchObject({
    replies: 2,
    lastId: 5,
  });
  expect(withoutReply(newer, undefined).thread?.replies).toBe(2);
  // Never below none; a message without replies stays as it is.
  const none = { ...root, thread: { ...after, replies: 0 } };
  expect(withoutReply(none, undefined).thread?.replies).toBe(0);
  expect(withoutReply(msg(9, "ana"), undefined)).toEqual(msg(9, "ana"));
  // A reply that arrives deleted is not counted.
  const gone = msg(6, "dee", { parent: 1, deleted: true, text: "" });
  expect(withReply(root, gone)).toBe(root);
});

Deno.test("thread state - the open thread takes its page, live replies, edits and deletions; others are ignored", () => {
  const t = new ThreadState();
  t.show("general", 1, msg(1, "ana"));
  expect(t.loading.value).toBe(true);
  // A live reply arriving before the page.
  t.apply({ type: "message", ...msg(6, "cy", { parent: 1 }) });
  t.apply({
    type: "thread",
    room: "general",
    id: 1,
    root: msg(1, "ana", {
      thread: { replies: 2, lastId: 5, lastTs: 5000, users: ["bo"] },
    }),
    replies: [msg(3, "bo", { parent: 1 }), msg(5, "bo", { parent: 1 })],
    hasMore: true,
  });
  expect(t.loading.value).toBe(false);
  expect(t.hasMore.value).toBe(true);
  expect(t.replies.value.map((m) => m.id)).toEqual([3, 5, 6]);
  t.apply({ type: "message", ...msg(7, "cy", { parent: 2 }) });
  t.apply({ type: "message", ...msg(8, "cy", { room: "other", parent: 1 }) });
  t.apply({ type: "message", ...msg(9, "dee", { parent: 1 }) });
  expect(t.replies.value.map((m) => m.id)).toEqual([3, 5, 6, 9]);
  expect(t.root.value?.thread).toMatchObject({ replies: 3, lastId: 9 });
  t.apply({ type: "edited", room: "general", id: 5, text: "fixed" });
  t.apply({ type: "deleted", room: "general", id: 3 });
  expect(t.replies.value.slice(0, 2)).toEqual([
    expect.objectContaining({ id: 3, deleted: true, text: "" }),
    expect.objectContaining({ id: 5, edited: true, text: "fixed" }),
  ]);
  expect(t.olderBefore()).toBe(3);
  t.close();
  expect(t.open.value).toBeNull();
});

Deno.test("chat store - a reply moves the summary of the first message held and is a mention for its author", () => {
  const s = new ChatStore();
  s.apply({
    type: "welcome",
    protocol: 2,
    user: { name: "ana", guest: false },
    serverTime: 0,
    rooms: [{
      id: "general",
      name: "general",
      kind: "public",
      members: 2,
      online: 2,
      lastId: 0,
      lastRead: 0,
      unread: 0,
      mentions: 0,
    }],
    limits: { maxTextBytes: 4096, maxFrameBytes: 65536 },
  });
  s.apply({ type: "message", ...msg(1, "ana") });
  s.apply({ type: "message", ...msg(2, "bo") });
  s.apply({ type: "message", ...msg(3, "bo", { parent: 1 }) });
  s.apply({ type: "message", ...msg(4, "cy", { parent: 2 }) });
  const items = s.room("general").items.value;
  expect(items.find((i) => i.kind === "message" && i.id === 1))
    .toMatchObject({ thread: { replies: 1, users: ["bo"] } });
  // A reply in ana's thread mentions her; one in bo's does not, and is no
  // unread news to her either (it stays in its thread).
  expect(s.mentions.value.general).toBe(1);
  expect(s.unread.value.general).toBe(2);
});
