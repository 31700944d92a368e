import { expect } from "expect";
import FakeTimers from "@sinonjs/fake-timers";
import type {
  ChatMessage,
  MyRoom,
  ServerFrame,
} from "@/lib/shared/protocol.ts";
import { ChatStore, MAX_ITEMS, TYPING_TTL_MS } from "./chat_store.ts";

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

const myRoom = (id: string, over: Partial<MyRoom> = {}): MyRoom => ({
  id,
  name: id,
  kind: "public",
  members: 2,
  online: 1,
  lastId: 0,
  lastRead: 0,
  unread: 0,
  mentions: 0,
  ...over,
});

const welcome = (rooms: MyRoom[], name = "ana"): ServerFrame => ({
  type: "welcome",
  protocol: 2,
  user: { name, guest: true },
  serverTime: 0,
  rooms,
  limits: { maxTextBytes: 4096, maxFrameBytes: 65536 },
});

Deno.test("chat store - the sidebar holds own rooms with the server's counts, kept live by messages", () => {
  const store = new ChatStore();
  store.open("general");
  store.apply(welcome([
    myRoom("general", { lastId: 1, lastRead: 1 }),
    myRoom("random", { lastId: 4, lastRead: 2, unread: 2, mentions: 1 }),
  ]));
  expect(store.unread.value).toEqual({ general: 0, random: 2 });
  expect(store.mentions.value).toEqual({ general: 0, random: 1 });
  store.apply({ type: "message", ...msg(4, "ben", "old", "random") }); // a replay
  store.apply({ type: "message", ...msg(5, "ben", "hey @ana", "random") });
  store.apply({ type: "message", ...msg(6, "ben", "hi", "random") });
  store.apply({ type: "message", ...msg(1, "ben", "elsewhere", "lobby") });
  expect(store.unread.value).toEqual({ general: 0, random: 4 });
  expect(store.mentions.value.random).toBe(2);
  expect(store.lastMention.value?.text).toBe("hey @ana");
  expect(store.unread.value.lobby).toBeUndefined(); // not a member
  // One's own message reads the room up to it.
  store.apply({ type: "message", ...msg(7, "ana", "mine", "random") });
  expect(store.unread.value.random).toBe(0);
  expect(store.mentions.value.random).toBe(0);
});

Deno.test("chat store - a read frame from another tab sets the counts; an older one is ignored", () => {
  const store = new ChatStore();
  store.apply(welcome([myRoom("random", { lastId: 9, unread: 9 })]));
  store.apply({
    type: "read",
    room: "random",
    lastRead: 7,
    unread: 2,
    mentions: 1,
  });
  expect(store.myRoom("random")).toMatchObject({
    lastRead: 7,
    unread: 2,
    mentions: 1,
  });
  store.apply({
    type: "read",
    room: "random",
    lastRead: 5,
    unread: 4,
    mentions: 2,
  });
  expect(store.myRoom("random")?.lastRead).toBe(7);
  // A message that arrived after the server counted still counts.
  store.apply({ type: "message", ...msg(10, "ben", "x", "random") });
  store.apply({
    type: "read",
    room: "random",
    lastRead: 8,
    unread: 1,
    mentions: 0,
  });
  expect(store.myRoom("random")?.unread).toBe(2);
});

Deno.test("chat store - a reply shown only in its thread counts for those taking part alone", () => {
  const store = new ChatStore();
  store.apply(welcome([myRoom("random", { lastId: 2, lastRead: 2 })]));
  store.addHistory(
    "random",
    [msg(1, "ana", "mine", "random"), msg(2, "ben", "m2", "random")],
    false,
    false,
  );
  store.apply({ type: "message", ...msg(3, "cy", "x", "random"), parent: 2 });
  expect(store.myRoom("random")).toMatchObject({ lastId: 3, unread: 0 });
  // "Also sent to the room": news to everyone.
  store.apply({
    type: "message",
    ...msg(4, "cy", "x", "random"),
    parent: 2,
    alsoInRoom: true,
  });
  expect(store.myRoom("random")).toMatchObject({ unread: 1, mentions: 0 });
  // A reply naming one, or in a thread one started, is news (a mention).
  store.apply({
    type: "message",
    ...msg(5, "cy", "@ana look", "random"),
    parent: 2,
  });
  store.addHistory(
    "random",
    [msg(6, "ana", "mine too", "random")],
    false,
    false,
  );
  store.apply({ type: "message", ...msg(7, "cy", "yes", "random"), parent: 6 });
  expect(store.myRoom("random")).toMatchObject({ unread: 3, mentions: 2 });
});

Deno.test("chat store - a deleted message counted unread counts no more; one read, quiet, one's own or a mention (the server recounts it) changes nothing", () => {
  const store = new ChatStore();
  store.apply(welcome([myRoom("random", { lastId: 2, lastRead: 2 })]));
  const live = (m: ChatMessage) => store.apply({ type: "message", ...m });
  live(msg(3, "ben", "hi", "random"));
  live(msg(4, "ben", "hey @ana", "random"));
  live({ ...msg(5, "cy", "in a thread", "random"), parent: 3 });
  live(msg(6, "ana", "mine", "random"));
  live(msg(7, "ben", "later", "random"));
  live(msg(8, "ben", "and later", "random"));
  expect(store.myRoom("random")).toMatchObject({ unread: 2, mentions: 0 });
  const del = (id: number) =>
    store.apply({ type: "deleted", room: "random", id });
  // Read already (one's own message read the room up to it), or quiet.
  del(4);
  del(5);
  del(6);
  expect(store.myRoom("random")).toMatchObject({ unread: 2, mentions: 0 });
  // Counted: it counts no more, and a second notice changes nothing.
  del(7);
  del(7);
  expect(store.myRoom("random")).toMatchObject({ unread: 1, mentions: 0 });
  // A mention's new counts come from the server's read frame (which may
  // come before the deletion does): not counted out here.
  live(msg(9, "ben", "@ana you there?", "random"));
  expect(store.myRoom("random")).toMatchObject({ unread: 2, mentions: 1 });
  store.apply({
    type: "read",
    room: "random",
    lastRead: 6,
    unread: 1,
    mentions: 0,
    lastId: 9,
  });
  del(9);
  expect(store.myRoom("random")).toMatchObject({ unread: 1, mentions: 0 });
  // Not shown here: nothing known of it, nothing changes.
  del(1);
  expect(store.myRoom("random")).toMatchObject({ unread: 1, mentions: 0 });
});

Deno.test("chat store - markRead moves the read mark forward only, and says when it moved", () => {
  const store = new ChatStore();
  store.apply(
    welcome([myRoom("general", { lastId: 5, unread: 5, mentions: 1 })]),
  );
  expect(store.markRead("general", 3)).toBe(true);
  expect(store.myRoom("general")).toMatchObject({
    lastRead: 3,
    unread: 2,
    mentions: 1,
  });
  expect(store.markRead("general", 2)).toBe(false);
  expect(store.markRead("general", 5)).toBe(true);
  expect(store.myRoom("general")).toMatchObject({ unread: 0, mentions: 0 });
  expect(store.markRead("elsewhere", 5)).toBe(false);
});

Deno.test("chat store - the New divider is placed from lastRead when a room opens, on the first welcome too", () => {
  const store = new ChatStore();
  store.current.value = "general"; // as the page starts, before welcome
  store.apply(welcome([
    myRoom("general", { lastId: 8, lastRead: 5, unread: 3 }),
    myRoom("random", { lastId: 2, lastRead: 2 }),
  ]));
  expect(store.room("general").newAfter.value).toBe(5);
  store.markRead("general", 8);
  store.apply(
    welcome([myRoom("general", { lastId: 9, lastRead: 8, unread: 1 })]),
  );
  expect(store.room("general").newAfter.value).toBe(5); // a reconnect keeps it
  store.open("random");
  expect(store.room("random").newAfter.value).toBe(null);
  store.open("general");
  expect(store.room("general").newAfter.value).toBe(8);
});

Deno.test("chat store - membership: room adds, left and room_deleted remove, joined brings lastRead", () => {
  const store = new ChatStore();
  store.apply(welcome([myRoom("general")]));
  store.apply({ type: "room", room: myRoom("design", { kind: "private" }) });
  store.apply({
    type: "room",
    room: myRoom("dm-x", { kind: "dm", name: "ben" }),
  });
  // By name, DMs last: the sidebar's order.
  expect(store.rooms.value.map((r) => r.id)).toEqual([
    "design",
    "general",
    "dm-x",
  ]);
  store.apply({
    type: "joined",
    room: "design",
    users: [{ name: "ana", guest: true }],
    lastId: 6,
    lastRead: 4,
    members: 3,
    online: 1,
  });
  expect(store.myRoom("design")).toMatchObject({ lastRead: 4, unread: 2 });
  expect(store.room("design").total.value).toBe(3);
  expect(store.room("design").members.value).toEqual([
    { name: "ana", guest: true, status: "online" },
  ]);
  store.apply({ type: "left", room: "design", reason: "removed" });
  store.apply({ type: "room_deleted", room: "dm-x" });
  expect(store.rooms.value.map((r) => r.id)).toEqual(["general"]);
  expect(store.room("design").items.value.at(-1)).toMatchObject({
    kind: "notice",
    text: "A moderator removed you from this room",
  });
});

Deno.test("chat store - the first page of members asked again keeps the pages the reader scrolled to, and their cursor", () => {
  const store = new ChatStore();
  const r = store.room("general");
  const page = (names: string[], next?: string): ServerFrame => ({
    type: "members",
    room: "general",
    users: names.map((name) => ({ name, guest: true, status: "offline" })),
    ...(next ? { next } : {}),
    total: 9,
    online: 1,
  });
  store.membersAsked("general");
  store.apply(page(["a", "b"], "m2"));
  store.membersAsked("general", "m2");
  store.apply(page(["c", "d"], "m4"));
  store.membersAsked("general", "m4");
  store.apply(page(["e", "f"], "m6"));
  // Asked again after presence churn: the top is new, the rest stays.
  store.membersAsked("general");
  store.apply(page(["z", "a"], "m2"));
  expect(r.members.value.map((m) => m.name)).toEqual([
    "z",
    "a",
    "b",
    "c",
    "d",
    "e",
    "f",
  ]);
  expect(r.membersNext.value).toBe("m6");
});

Deno.test("chat store - members come in pages, presence changes keep them live, online first", () => {
  const store = new ChatStore();
  const r = store.room("general");
  store.membersAsked("general");
  store.apply({
    type: "members",
    room: "general",
    users: [
      { name: "ana", guest: false, status: "online" },
      { name: "ben", guest: false, status: "away" },
    ],
    next: "ben",
    total: 4,
    online: 2,
  });
  store.membersAsked("general", "ben");
  store.apply({
    type: "members",
    room: "general",
    users: [
      { name: "ben", guest: false, status: "away" }, // listed already
      { name: "cy", guest: true, status: "offline" },
    ],
    total: 4,
    online: 2,
  });
  expect(r.members.value.map((m) => m.name)).toEqual(["ana", "ben", "cy"]);
  expect(r.membersNext.value).toBeUndefined();
  store.apply({
    type: "presence",
    room: "general",
    online: 3,
    changes: [
      { name: "cy", guest: true, status: "online" },
      { name: "dee", guest: false, status: "online" },
      { name: "ana", guest: false, status: "offline" },
      { name: "eve", guest: false, status: "offline" }, // not listed: stays out
    ],
  });
  expect(r.online.value).toBe(3);
  expect(r.total.value).toBe(4);
  store.apply({ type: "presence", room: "general", online: 5, changes: [] });
  expect(r.total.value).toBe(5); // never fewer members than are online
  expect(r.members.value.map((m) => `${m.name}:${m.status}`)).toEqual([
    "cy:online",
    "dee:online",
    "ben:away",
    "ana:offline",
  ]);
  // A first page again replaces the list.
  store.membersAsked("general");
  store.apply({
    type: "members",
    room: "general",
    users: [{ name: "zed", guest: false, status: "online" }],
    total: 1,
    online: 1,
  });
  expect(r.members.value.map((m) => m.name)).toEqual(["zed"]);
});

Deno.test("chat store - membership events are lines of their own: no mention, no announcement", () => {
  const store = new ChatStore();
  store.open("general");
  store.apply(welcome([myRoom("general")]));
  store.apply({
    type: "message",
    ...msg(1, "", "ana and 2 others joined"),
    event: { kind: "joined", users: ["ana", "bo", "cy"], count: 3 },
  });
  expect(store.lastMention.value).toBe(null);
  expect(store.announce.value).toBe("");
  expect(ids(store)).toEqual([1]);
  expect(store.myRoom("general")?.lastId).toBe(1);
});

Deno.test("chat store - live membership events move the member count; replayed ones don't count twice", () => {
  const store = new ChatStore();
  const r = store.room("general");
  store.apply({
    type: "joined",
    room: "general",
    users: [],
    online: 1,
    members: 2,
    lastId: 5,
    lastRead: 5,
  });
  const event = (id: number, kind: "joined" | "left", count: number) =>
    store.apply({
      type: "message",
      ...msg(id, "", `${count} ${kind}`),
      event: { kind, users: ["x"], count },
    });
  event(5, "joined", 2); // Counted already.
  expect(r.total.value).toBe(2);
  event(6, "joined", 3);
  expect(r.total.value).toBe(5);
  event(7, "left", 1);
  expect(r.total.value).toBe(4);
});

Deno.test("chat store - a room keeps at most MAX_ITEMS items", () => {
  const store = new ChatStore();
  store.open("general");
  for (let i = 1; i <= MAX_ITEMS + 50; i++) {
    store.apply({ type: "message", ...msg(i) });
  }
  expect(ids(store).length).toBe(MAX_ITEMS);
  expect(ids(store)[0]).toBe(51);
  // What was dropped can be loaded again.
  expect(store.room("general").hasMore.value).toBe(true);
});

Deno.test("chat store - reading back, the older pages loaded stay as messages keep coming; back at the newest, the room keeps MAX_ITEMS again", () => {
  const store = new ChatStore();
  store.open("general");
  const r = store.room("general");
  for (let i = 101; i <= 100 + MAX_ITEMS; i++) {
    store.apply({ type: "message", ...msg(i) });
  }
  r.readingBack = true;
  const older = Array.from({ length: 100 }, (_, i) => msg(i + 1));
  store.addHistory("general", older, false, true);
  for (let i = 1; i <= 20; i++) {
    store.apply({ type: "message", ...msg(100 + MAX_ITEMS + i) });
  }
  expect(ids(store)[0]).toBe(1);
  expect(ids(store).length).toBe(MAX_ITEMS + 120);
  r.readingBack = false;
  store.apply({ type: "message", ...msg(1000) });
  expect(ids(store).length).toBe(MAX_ITEMS);
  expect(ids(store).at(-1)).toBe(1000);
});

Deno.test("chat store - typing, edits and deletes", () => {
  using _clock = fakeClock();
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

/** Fake `setTimeout` and `Date`, restored when the result is disposed. */
function fakeClock() {
  const clock = FakeTimers.install({
    toFake: ["setTimeout", "clearTimeout", "Date"],
  });
  return Object.assign(clock, { [Symbol.dispose]: () => clock.uninstall() });
}

const typing = (user: string, on = true, room = "general"): ServerFrame => ({
  type: "typing",
  room,
  user,
  typing: on,
});

Deno.test("chat store - a typing notice lapses after the server's TTL unless renewed, on one timer", () => {
  using clock = fakeClock();
  const store = new ChatStore();
  store.open("general");
  const shown = () => store.room("general").typing.value;
  store.apply(typing("ana"));
  clock.tick(2500);
  // Ben keeps typing (each renewal a frame); many renewals, one timer.
  for (let i = 0; i < 10; i++) {
    store.apply(typing("ben"));
    clock.tick(200);
  }
  expect(clock.countTimers()).toBe(1);
  expect(shown()).toEqual(["ana", "ben"]);
  // Ana's stop went only to pages showing the room: hers lapses here.
  clock.tick(TYPING_TTL_MS - 4500);
  expect(shown()).toEqual(["ben"]);
  // Ben's last renewal came at 4.3 s.
  clock.tick(4300 - 1);
  expect(shown()).toEqual(["ben"]);
  clock.tick(1);
  expect(shown()).toEqual([]);
  expect(clock.countTimers()).toBe(0);
  // A stop frame or a message still ends it at once.
  store.apply(typing("ana"));
  store.apply(typing("ana", false));
  expect(shown()).toEqual([]);
});

Deno.test("chat store - a typing renewal changes nothing on screen: the page is not drawn again", () => {
  using _clock = fakeClock();
  const store = new ChatStore();
  store.open("general");
  store.apply(typing("ana"));
  store.apply(typing("ben"));
  const before = store.room("general").typing.value;
  let drawn = 0;
  // Subscribing calls once at once.
  const stop = store.room("general").typing.subscribe(() => drawn++);
  for (const who of ["ben", "ana", "ben"]) store.apply(typing(who));
  stop();
  expect(drawn).toBe(1);
  expect(store.room("general").typing.value).toBe(before);
  expect(before).toEqual(["ana", "ben"]);
});

Deno.test("chat store - opening a room or reconnecting forgets who was typing", () => {
  using _clock = fakeClock();
  const store = new ChatStore();
  store.apply(welcome([myRoom("general"), myRoom("random")], "ben"));
  store.open("general");
  store.apply(typing("ana"));
  store.apply(typing("cy", true, "random"));
  store.open("random");
  expect(store.room("random").typing.value).toEqual([]);
  store.open("general");
  expect(store.room("general").typing.value).toEqual([]);
  store.apply(typing("ana"));
  store.apply(typing("cy", true, "random"));
  store.apply(welcome([myRoom("general"), myRoom("random")], "ben"));
  expect(store.room("general").typing.value).toEqual([]);
  expect(store.room("random").typing.value).toEqual([]);
});

Deno.test("chat store - every message of a DM is for a notification, as a mention is; a room's plain message is not", () => {
  const store = new ChatStore();
  store.open("general");
  store.apply(welcome([
    myRoom("general"),
    myRoom("dm-abc", { kind: "dm", name: "ben" }),
  ]));
  store.apply({ type: "message", ...msg(1, "ben", "lunch?", "general") });
  expect(store.lastMention.value).toBe(null);
  store.apply({ type: "message", ...msg(1, "ben", "got a minute?", "dm-abc") });
  expect(store.lastMention.value?.text).toBe("got a minute?");
  // One's own DM is no news.
  store.apply({ type: "message", ...msg(2, "ana", "sure", "dm-abc") });
  expect(store.lastMention.value?.text).toBe("got a minute?");
});

Deno.test("chat store - a typing notice lasts as long as the server's welcome says", () => {
  using clock = fakeClock();
  const store = new ChatStore();
  const frame = welcome([myRoom("general")], "ben");
  store.apply({
    ...frame,
    limits: { maxTextBytes: 4096, maxFrameBytes: 65536, typingTtlMs: 12_000 },
  } as ServerFrame);
  store.open("general");
  store.apply(typing("ana"));
  clock.tick(TYPING_TTL_MS + 1000);
  expect(store.room("general").typing.value).toEqual(["ana"]);
  clock.tick(12_000 - TYPING_TTL_MS - 1000);
  expect(store.room("general").typing.value).toEqual([]);
});

Deno.test("chat store - screen readers hear what the reader sees arrive: plain words, a repeat again, no reply kept in a closed thread", () => {
  const store = new ChatStore();
  store.open("general");
  store.apply(welcome([myRoom("general")]));
  store.apply({
    type: "message",
    ...msg(1, "cy", "**Deploy** `now`\n- a\n- b"),
  });
  expect(store.announce.value).toBe("cy: Deploy now a, b");
  store.apply({ type: "message", ...msg(2, "cy", "ok") });
  const first = store.announce.value;
  store.apply({ type: "message", ...msg(3, "cy", "ok") });
  // The same words, changed in what a screen reader can't hear.
  expect(store.announce.value).not.toBe(first);
  expect(store.announce.value.trim()).toBe("cy: ok");
  // A reply shown only in its thread: heard only while that thread is open.
  store.apply({ type: "message", ...msg(4, "bo", "in thread"), parent: 1 });
  expect(store.announce.value.trim()).toBe("cy: ok");
  store.threads.show("general", 1);
  store.apply({ type: "message", ...msg(5, "bo", "now open"), parent: 1 });
  expect(store.announce.value).toBe("bo: now open");
  store.apply({
    type: "message",
    ...msg(6, "bo", "to all"),
    parent: 1,
    alsoInRoom: true,
  });
  expect(store.announce.value).toBe("bo: to all");
});

Deno.test("chat store - kicked from a room, one's page counts one member fewer there", () => {
  const store = new ChatStore();
  store.open("general");
  store.apply(welcome([myRoom("general")], "bo"));
  store.membersAsked("general");
  store.apply({
    type: "members",
    room: "general",
    users: [{ name: "ana", guest: false, status: "online" }],
    total: 2,
    online: 1,
  });
  store.apply({ type: "left", room: "general", reason: "kicked" });
  expect(store.room("general").total.value).toBe(1);
  expect(store.myRoom("general")).toBeUndefined();
});
