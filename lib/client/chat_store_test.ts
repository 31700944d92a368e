import { expect } from "expect";
import type { ChatMessage } from "@/lib/shared/protocol.ts";
import { ChatStore, MAX_ITEMS, mentionsUser } from "./chat_store.ts";

const msg = (
  id: number,
  user = "ben",
  text = `m${id}`,
  room = "general",
): ChatMessage => ({
  id,
  room,
  user,
  text,
  ts: 1_700_000_000_000 + id,
});

const ids = (store: ChatStore, room = "general") =>
  store.room(room).items.value.flatMap((i) =>
    i.kind === "message" ? [i.id] : []
  );

Deno.test("chat store - live, replayed and history messages merge in id order, once each", () => {
  const store = new ChatStore();
  store.open("general");
  store.apply({ type: "message", ...msg(3) });
  store.apply({ type: "message", ...msg(5) });
  store.apply({ type: "message", ...msg(4) }); // a late replay
  store.apply({ type: "message", ...msg(5) }); // a duplicate
  store.addHistory("general", [msg(1), msg(2), msg(3)], false, false);
  expect(ids(store)).toEqual([1, 2, 3, 4, 5]);
  store.addHistory("general", [msg(0)], false, true);
  expect(ids(store)).toEqual([0, 1, 2, 3, 4, 5]);
});

Deno.test("chat store - unread and mentions count in other rooms and clear on opening", () => {
  const store = new ChatStore();
  store.apply({
    type: "welcome",
    protocol: 1,
    user: { name: "ana", guest: true },
    serverTime: 0,
    rooms: [],
    limits: { maxTextBytes: 4096, maxFrameBytes: 65536 },
  });
  store.open("general");
  store.apply({ type: "message", ...msg(1, "ben", "hi", "random") });
  store.apply({ type: "message", ...msg(2, "ben", "hey @ana", "random") });
  store.apply({ type: "message", ...msg(3, "ana", "mine", "random") });
  store.apply({ type: "message", ...msg(1, "ben", "here", "general") });
  expect(store.unread.value).toEqual({ random: 2 });
  expect(store.mentions.value).toEqual({ random: 1 });
  expect(store.lastMention.value?.text).toBe("hey @ana");
  store.open("random");
  expect(store.unread.value.random).toBe(0);
  expect(store.mentions.value.random).toBe(0);
});

Deno.test("chat store - a room keeps at most MAX_ITEMS items", () => {
  const store = new ChatStore();
  store.open("general");
  for (let i = 1; i <= MAX_ITEMS + 50; i++) {
    store.apply({ type: "message", ...msg(i) });
  }
  expect(ids(store).length).toBe(MAX_ITEMS);
  expect(ids(store)[0]).toBe(51);
});

Deno.test("chat store - typing, edits and deletes", () => {
  const store = new ChatStore();
  store.open("general");
  store.apply({ type: "message", ...msg(1) });
  store.apply({ type: "typing", room: "general", user: "ben", typing: true });
  expect(store.room("general").typing.value).toEqual(["ben"]);
  store.apply({ type: "message", ...msg(2) }); // typing ends with a message
  expect(store.room("general").typing.value).toEqual([]);
  store.apply({ type: "edited", room: "general", id: 1, text: "fixed" });
  store.apply({ type: "deleted", room: "general", id: 2 });
  const [one, two] = store.room("general").items.value;
  expect(one).toMatchObject({ id: 1, text: "fixed", edited: true });
  expect(two).toMatchObject({ id: 2, text: "", deleted: true });
});

Deno.test("chat store - mentions are whole names, in any case", () => {
  expect(mentionsUser("hi @ana!", "ana")).toBe(true);
  expect(mentionsUser("hi @ANA", "ana")).toBe(true);
  expect(mentionsUser("hi @anabel", "ana")).toBe(false);
  expect(mentionsUser("mail ana@x.com", "ana")).toBe(false);
  expect(mentionsUser("@민아 안녕", "민아")).toBe(true);
});
