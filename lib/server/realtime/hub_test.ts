import { expect } from "expect";
import FakeTimers from "@sinonjs/fake-timers";
import { Hub, type Socket } from "./hub.ts";
import { LocalBus } from "@/lib/server/bus/bus.ts";
import { openKvStore } from "@/lib/server/store/kv.ts";
import type { Store } from "@/lib/server/store/store.ts";
import type { ChatMessage } from "@/lib/shared/protocol.ts";
import { until } from "@/tests/helpers/until.ts";

class FakeSocket implements Socket {
  readyState = 1;
  bufferedAmount = 0;
  sent: string[] = [];
  closedWith?: { code?: number; reason?: string };
  send(data: string) {
    this.sent.push(data);
  }
  close(code?: number, reason?: string) {
    this.readyState = 3;
    this.closedWith = { code, reason };
  }
  frames(type?: string): Record<string, unknown>[] {
    return this.sent.map((s) => JSON.parse(s)).filter((f) =>
      !type || f.type === type
    );
  }
  ids(): number[] {
    return this.frames("message").map((f) => f.id as number);
  }
}

async function setup(
  opts: {
    slowClientGraceMs?: number;
    now?: () => number;
    awayAfterMs?: number;
    bus?: LocalBus;
  } = {},
) {
  const store = await openKvStore({ path: ":memory:", historyLimit: 1000 });
  const bus = opts.bus ?? new LocalBus();
  const hub = new Hub({
    store,
    bus,
    slowClientBytes: 1000,
    slowClientGraceMs: opts.slowClientGraceMs ?? 100,
    typingTtlMs: 5000,
    gapWaitMs: 20,
    now: opts.now,
    awayAfterMs: opts.awayAfterMs,
  });
  const stored = async (room: string, text: string, user = "u") =>
    (await store.append({ room, user, text })).message;
  return { store, bus, hub, stored, close: () => closeAll(hub, store) };
}

async function closeAll(hub: Hub, store: Store) {
  hub.close();
  await store.close();
}

Deno.test("hub - a broadcast reaches every member of the room and no one else", async () => {
  const { hub, bus, stored, close } = await setup();
  const [a, b, c] = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
  await hub.join(hub.connect(a, { name: "a", guest: true }, "v1"), "general");
  await hub.join(hub.connect(b, { name: "b", guest: true }, "v1"), "general");
  await hub.join(hub.connect(c, { name: "c", guest: true }, "v1"), "random");
  await bus.publish({
    kind: "message",
    message: await stored("general", "hello"),
  });
  expect(a.frames("message").map((f) => f.text)).toEqual(["hello"]);
  expect(b.frames("message").map((f) => f.text)).toEqual(["hello"]);
  expect(c.frames("message")).toEqual([]);
  await close();
});

Deno.test("hub - messages arriving out of order or twice are delivered in order once", async () => {
  const { hub, bus, stored, close } = await setup();
  const a = new FakeSocket();
  await hub.join(hub.connect(a, { name: "a", guest: true }, "v1"), "general");
  const ms: ChatMessage[] = [];
  for (let i = 0; i < 4; i++) ms.push(await stored("general", `m${i}`));
  for (const i of [1, 0, 0, 3, 2, 1, 3]) {
    await bus.publish({ kind: "message", message: ms[i] });
  }
  expect(a.ids()).toEqual([1, 2, 3, 4]);
  await close();
});

Deno.test("hub - an edit or deletion that overtakes its message on the bus goes out with the message, never before it", async () => {
  const { hub, bus, store, stored, close } = await setup();
  const a = new FakeSocket();
  await hub.join(hub.connect(a, { name: "a", guest: true }, "v1"), "general");
  // #2 comes first (held behind #1), then its edit, then #1.
  const [m1, m2] = [
    await stored("general", "one"),
    await stored("general", "two"),
  ];
  await bus.publish({ kind: "message", message: m2 });
  await store.update("general", m2.id, { text: "two, edited", edited: true });
  await bus.publish({
    kind: "edited",
    room: "general",
    id: m2.id,
    text: "two, edited",
  });
  await bus.publish({ kind: "message", message: m1 });
  // #4 comes first and is deleted; #3 was lost, read from the store.
  const m3 = await stored("general", "three");
  const m4 = await stored("general", "four, a secret");
  await bus.publish({ kind: "message", message: m4 });
  await store.update("general", m4.id, { text: "", deleted: true });
  await bus.publish({ kind: "deleted", room: "general", id: m4.id });
  await until(() => a.ids().length === 4);
  const seen = a.frames().filter((f) => f.type !== "joined").map((
    f,
  ) => [f.type, f.id, f.text ?? "", f.deleted ?? false]);
  expect(seen).toEqual([
    ["message", m1.id, "one", false],
    ["message", m2.id, "two, edited", false],
    ["message", m3.id, "three", false],
    ["message", m4.id, "", true],
  ]);
  expect(a.frames("message")[1].edited).toBe(true);
  await close();
});

Deno.test("hub - a message lost on the bus is read from the store", async () => {
  const { hub, bus, stored, close } = await setup();
  const a = new FakeSocket();
  await hub.join(hub.connect(a, { name: "a", guest: true }, "v1"), "general");
  await stored("general", "lost");
  await bus.publish({
    kind: "message",
    message: await stored("general", "after"),
  });
  await until(() => a.ids().length === 2);
  expect(a.frames("message").map((f) => f.text)).toEqual(["lost", "after"]);
  await close();
});

Deno.test("hub - join with since replays exactly the missed messages, then live ones", async () => {
  const { hub, bus, stored, close } = await setup();
  for (let i = 1; i <= 5; i++) await stored("general", `m${i}`);
  const a = new FakeSocket();
  const joining = hub.join(
    hub.connect(a, { name: "a", guest: true }, "v1"),
    "general",
    2,
  );
  // A live message racing the replay is neither lost nor repeated.
  const live = await stored("general", "m6");
  await bus.publish({ kind: "message", message: live });
  await joining;
  await until(() => a.ids().length >= 4);
  expect(a.ids()).toEqual([3, 4, 5, 6]);
  expect(a.frames("joined")[0]).toMatchObject({ room: "general" });
  await close();
});

Deno.test("hub - a long replay arrives whole and in order, page by page", async () => {
  const { hub, stored, close } = await setup();
  for (let i = 1; i <= 450; i++) await stored("general", `m${i}`);
  const a = new FakeSocket();
  await hub.join(
    hub.connect(a, { name: "a", guest: true }, "v1"),
    "general",
    0,
  );
  await until(() => a.ids().length >= 450);
  expect(a.ids()).toEqual(Array.from({ length: 450 }, (_, i) => i + 1));
  await close();
});

Deno.test("hub - replay past retention says gap", async () => {
  const store = await openKvStore({ path: ":memory:", historyLimit: 10 });
  const bus = new LocalBus();
  const hub = new Hub({
    store,
    bus,
    slowClientBytes: 1000,
    slowClientGraceMs: 100,
    typingTtlMs: 5000,
  });
  for (let i = 1; i <= 230; i++) {
    await store.append({ room: "r", user: "u", text: `m${i}` });
  }
  // Retention runs after the commit: wait until it has removed the oldest.
  await until(async () => (await store.oldestId("r")) > 1);
  const a = new FakeSocket();
  await hub.join(hub.connect(a, { name: "a", guest: true }, "v1"), "r", 5);
  const gap = a.frames("gap")[0];
  expect(gap).toMatchObject({ room: "r", since: 5 });
  expect(a.ids()[0]).toBe(gap.oldestId);
  expect(a.ids().at(-1)).toBe(230);
  hub.close();
  await store.close();
});

Deno.test("hub - typing reaches the others and expires", async () => {
  const clock = FakeTimers.install({
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"],
  });
  try {
    const { hub, bus, close } = await setup();
    const [a, b] = [new FakeSocket(), new FakeSocket()];
    await hub.join(hub.connect(a, { name: "a", guest: true }, "v1"), "general");
    await hub.join(hub.connect(b, { name: "b", guest: true }, "v1"), "general");
    await bus.publish({
      kind: "typing",
      room: "general",
      user: "a",
      typing: true,
    });
    expect(b.frames("typing")).toEqual([{
      type: "typing",
      room: "general",
      user: "a",
      typing: true,
    }]);
    expect(a.frames("typing")).toEqual([]);
    clock.tick(5001);
    expect(b.frames("typing").at(-1)).toMatchObject({
      user: "a",
      typing: false,
    });
    await close();
  } finally {
    clock.uninstall();
  }
});

Deno.test("hub - a backed-up reader is closed with 1013 while the room flows", async () => {
  let now = 0;
  const { hub, bus, stored, close } = await setup({
    now: () => now,
    slowClientGraceMs: 100,
  });
  const [fast, slow] = [new FakeSocket(), new FakeSocket()];
  await hub.join(
    hub.connect(fast, { name: "fast", guest: true }, "v1"),
    "general",
  );
  await hub.join(
    hub.connect(slow, { name: "slow", guest: true }, "v1"),
    "general",
  );
  slow.bufferedAmount = 5000;
  for (let i = 0; i < 5; i++) {
    now += 50;
    await bus.publish({
      kind: "message",
      message: await stored("general", `m${i}`),
    });
  }
  expect(fast.ids()).toEqual([1, 2, 3, 4, 5]);
  expect(slow.closedWith).toEqual({
    code: 1013,
    reason: "Too slow to keep up; reconnect",
  });
  expect(hub.metrics.slowDropped.value).toBe(1);
  await close();
});

Deno.test("hub - original clients get their own wire formats", async () => {
  const { hub, bus, stored, close } = await setup();
  const [room, client] = [new FakeSocket(), new FakeSocket()];
  await hub.join(
    hub.connect(room, { name: "민수", guest: true }, "original_room"),
    "general",
  );
  await hub.join(
    hub.connect(client, { name: "s1", guest: true }, "original_client"),
    "general",
  );
  await bus.publish({
    kind: "message",
    message: await stored("general", "안녕", "지수"),
  });
  expect(room.sent.at(-1)).toBe(
    '{"sender":"지수","message":"안녕","room_id":"general"}',
  );
  expect(client.sent.at(-1)).toBe("지수: 안녕");
  await close();
});

Deno.test("hub - original clients' join and leave lines go to the room's original clients; they count as online there", async () => {
  const { hub, close } = await setup();
  const [first, second, native] = [
    new FakeSocket(),
    new FakeSocket(),
    new FakeSocket(),
  ];
  const a = hub.connect(first, { name: "민수", guest: true }, "original_room");
  await hub.subscribe(a, "general");
  await hub.subscribe(
    hub.connect(second, { name: "지수", guest: true }, "original_room"),
    "general",
  );
  await hub.subscribe(
    hub.connect(native, { name: "n", guest: true }, "v1"),
    "general",
  );
  expect(first.sent).toEqual([
    '{"sender":"시스템","message":"민수님이 입장했습니다.","room_id":"general"}',
    '{"sender":"시스템","message":"지수님이 입장했습니다.","room_id":"general"}',
  ]);
  expect(hub.online("general").map((u) => u.name)).toEqual(["민수", "지수"]);
  expect(hub.onlineCount("general")).toBe(2);
  hub.disconnect(a);
  expect(second.sent.at(-1)).toBe(
    '{"sender":"시스템","message":"민수님이 퇴장했습니다.","room_id":"general"}',
  );
  expect(hub.onlineCount("general")).toBe(1);
  // Native clients get no join or leave frames.
  expect(native.frames().map((f) => f.type)).toEqual(["joined"]);
  await close();
});

Deno.test("hub - subscribe sends joined with the first 50 online, the online count and the caller's read state; nothing to others", async () => {
  const { hub, close } = await setup();
  const watcher = new FakeSocket();
  await hub.subscribe(
    hub.connect(watcher, { name: "w", guest: false }, "v1", "k:w", ["big"]),
    "big",
  );
  for (let i = 0; i < 60; i++) {
    hub.connect(
      new FakeSocket(),
      { name: `p${i}`, guest: true },
      "v1",
      `k${i}`,
      [
        "big",
      ],
    );
  }
  const s = new FakeSocket();
  const c = hub.connect(s, { name: "me", guest: true }, "v1", "k:me", ["big"]);
  await hub.subscribe(c, "big", undefined, { lastRead: 3, members: 500 });
  const joined = s.frames("joined")[0];
  expect(joined).toMatchObject({
    room: "big",
    lastId: 0,
    lastRead: 3,
    members: 500,
    online: 62,
  });
  expect((joined.users as unknown[]).length).toBe(50);
  expect((joined.users as { name: string }[])[0]).toEqual({
    name: "w",
    guest: false,
  });
  // Subscribing announced nothing to the room.
  expect(watcher.frames().map((f) => f.type)).toEqual(["joined"]);
  await close();
});

Deno.test("hub - presence and typing go only to sockets viewing the room; a socket that never sent view sees all its rooms", async () => {
  const { hub, bus, close } = await setup();
  const [viewer, elsewhere, legacy] = [
    new FakeSocket(),
    new FakeSocket(),
    new FakeSocket(),
  ];
  const rooms = ["general", "random"];
  const v = hub.connect(viewer, { name: "v", guest: true }, "v1", "kv", rooms);
  const e = hub.connect(
    elsewhere,
    { name: "e", guest: true },
    "v1",
    "ke",
    rooms,
  );
  const l = hub.connect(legacy, { name: "l", guest: true }, "v1", "kl", rooms);
  for (const c of [v, e, l]) {
    for (const r of rooms) await hub.subscribe(c, r);
  }
  hub.view(v, "general");
  hub.view(e, "random");
  // The view itself: a snapshot of who is online.
  expect(viewer.frames("presence")).toEqual([{
    type: "presence",
    room: "general",
    online: 3,
    changes: [
      { name: "v", guest: true, status: "online" },
      { name: "e", guest: true, status: "online" },
      { name: "l", guest: true, status: "online" },
    ],
  }]);
  await bus.publish({
    kind: "typing",
    room: "general",
    user: "x",
    typing: true,
  });
  expect(viewer.frames("typing").length).toBe(1);
  expect(legacy.frames("typing").length).toBe(1);
  expect(elsewhere.frames("typing")).toEqual([]);
  hub.connect(new FakeSocket(), { name: "new", guest: true }, "v1", "kn", [
    "general",
  ]);
  await until(() => viewer.frames("presence").length === 2, {
    what: "the presence frame",
  });
  await until(() => legacy.frames("presence").length === 1);
  expect(viewer.frames("presence")[1]).toEqual({
    type: "presence",
    room: "general",
    online: 4,
    changes: [{ name: "new", guest: true, status: "online" }],
  });
  expect(elsewhere.frames("presence").map((f) => f.room)).toEqual(["random"]);
  // view null: nothing any more.
  hub.view(v, null);
  await bus.publish({
    kind: "typing",
    room: "general",
    user: "x",
    typing: false,
  });
  expect(viewer.frames("typing").length).toBe(1);
  // Messages still reach every subscriber.
  expect(viewer.frames("message")).toEqual([]);
  await close();
});

Deno.test("hub - 1,000 joins into one room give each viewer a handful of presence frames, not 1,000", async () => {
  const clock = FakeTimers.install({
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"],
  });
  try {
    const { hub, close } = await setup();
    const viewers = Array.from({ length: 10 }, () => new FakeSocket());
    for (const [i, s] of viewers.entries()) {
      await hub.subscribe(
        hub.connect(s, { name: `v${i}`, guest: true }, "v1", `kv${i}`),
        "storm",
      );
    }
    // 1,000 people join over 3 seconds: each becomes a member, online.
    for (let i = 0; i < 1000; i++) {
      const user = { name: `p${i}`, guest: true };
      const c = hub.connect(new FakeSocket(), user, "v1", `k${i}`);
      await hub.memberAdded("storm", user);
      await hub.subscribe(c, "storm", undefined, { lastRead: 0, members: i });
      clock.tick(3);
    }
    clock.tick(2000);
    for (const s of viewers) {
      const frames = s.frames("presence");
      expect(frames.length).toBeGreaterThan(0);
      expect(frames.length).toBeLessThanOrEqual(5);
      expect(frames.at(-1)?.online).toBe(1000);
      for (const f of frames) {
        expect((f.changes as unknown[]).length).toBeLessThanOrEqual(20);
      }
      expect(frames.some((f) => f.more === true)).toBe(true);
    }
    await close();
  } finally {
    clock.uninstall();
  }
});

Deno.test("hub - a person is away after awayAfterMs without a frame, online again with one", async () => {
  let now = 1_000_000;
  const clock = FakeTimers.install({
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"],
  });
  try {
    const { hub, close } = await setup({ now: () => now, awayAfterMs: 60_000 });
    const watcher = new FakeSocket();
    const w = hub.connect(watcher, { name: "w", guest: true }, "v1", "kw", [
      "general",
    ]);
    await hub.subscribe(w, "general");
    const idle = hub.connect(
      new FakeSocket(),
      { name: "idle", guest: true },
      "v1",
      "ki",
      [
        "general",
      ],
    );
    expect(hub.status("idle")).toBe("online");
    for (let t = 0; t < 61; t++) {
      now += 1000;
      hub.activity(w);
      clock.tick(1000);
    }
    expect(hub.status("idle")).toBe("away");
    expect(hub.status("w")).toBe("online");
    expect(hub.onlineCount("general")).toBe(2);
    expect(watcher.frames("presence").at(-1)?.changes).toEqual([
      { name: "idle", guest: true, status: "away" },
    ]);
    hub.activity(idle);
    expect(hub.status("idle")).toBe("online");
    hub.disconnect(idle);
    expect(hub.status("idle")).toBe("offline");
    clock.tick(1500);
    expect(watcher.frames("presence").at(-1)?.changes).toEqual([
      { name: "idle", guest: true, status: "offline" },
    ]);
    expect(hub.onlineCount("general")).toBe(1);
    await close();
  } finally {
    clock.uninstall();
  }
});

Deno.test("hub - the members page lists online members first, each with a status", async () => {
  const { hub, close } = await setup();
  hub.connect(new FakeSocket(), { name: "zed", guest: false }, "v1", "kz", [
    "r",
  ]);
  const page = [
    { name: "amy", guest: false },
    { name: "bo", guest: true },
    { name: "zed", guest: false },
  ];
  expect(hub.membersPage("r", page)).toEqual([
    { name: "amy", guest: false, status: "offline" },
    { name: "bo", guest: true, status: "offline" },
    { name: "zed", guest: false, status: "online" },
  ]);
  expect(hub.membersPage("r", page, { onlineFirst: true })).toEqual([
    { name: "zed", guest: false, status: "online" },
    { name: "amy", guest: false, status: "offline" },
    { name: "bo", guest: true, status: "offline" },
  ]);
  await close();
});

/** Sockets a and b in "general", which holds messages 1..4, delivered live. */
async function changesSetup(bus?: LocalBus) {
  const t = await setup({ bus });
  const [a, b] = [new FakeSocket(), new FakeSocket()];
  await t.hub.join(
    t.hub.connect(a, { name: "a", guest: true }, "v1"),
    "general",
  );
  await t.hub.join(
    t.hub.connect(b, { name: "b", guest: true }, "v1"),
    "general",
  );
  for (let i = 1; i <= 4; i++) {
    await t.bus.publish({
      kind: "message",
      message: await t.stored("general", `m${i}`),
    });
  }
  expect(a.ids()).toEqual([1, 2, 3, 4]);
  /** Changes 2, 3 and 4 in the store only, as on an instance the bus lost. */
  const changeUnseen = async () => {
    await t.store.update("general", 2, { text: "fixed", edited: true });
    await t.store.update("general", 3, { text: "", deleted: true });
    await t.store.reactions.change({
      room: "general",
      id: 4,
      emoji: "👍",
      key: "kc",
      name: "c",
      add: true,
    });
  };
  const changes = (s: FakeSocket) =>
    s.frames().filter((f) =>
      f.type === "edited" || f.type === "deleted" || f.type === "reactions"
    );
  const expected = [
    { type: "edited", room: "general", id: 2, text: "fixed" },
    { type: "deleted", room: "general", id: 3 },
    {
      type: "reactions",
      room: "general",
      messages: [{
        id: 4,
        reactions: [{ emoji: "👍", count: 1, users: ["c"] }],
      }],
    },
  ];
  return { ...t, a, b, changeUnseen, changes, expected };
}

Deno.test("hub - a resync sends each socket the edits, deletions and reactions the bus missed, once", async () => {
  const t = await changesSetup();
  await t.changeUnseen();
  await t.bus.publish({ kind: "resync" });
  for (const s of [t.a, t.b]) {
    await until(() => t.changes(s).length === 3, { what: "the changes" });
    expect(t.changes(s)).toEqual(t.expected);
  }
  // Nothing changed since: a second resync sends nothing.
  await t.bus.publish({ kind: "resync" });
  await new Promise((r) => setTimeout(r, 100));
  expect(t.changes(t.a).length).toBe(3);
  // A change told live is not sent again by the next resync.
  await t.store.update("general", 1, { text: "live", edited: true });
  await t.bus.publish({ kind: "edited", room: "general", id: 1, text: "live" });
  await t.bus.publish({ kind: "resync" });
  await new Promise((r) => setTimeout(r, 100));
  expect(t.changes(t.a).slice(3)).toEqual([
    { type: "edited", room: "general", id: 1, text: "live" },
  ]);
  await t.close();
});

Deno.test("hub - while the bus is degraded, the sweep sends the edits, deletions and reactions it can't carry", async () => {
  const clock = FakeTimers.install({
    toFake: ["setInterval", "clearInterval"],
  });
  try {
    class DownBus extends LocalBus {
      degraded = () => true;
    }
    const t = await changesSetup(new DownBus());
    await t.changeUnseen();
    // New messages each sweep; changes every fifth.
    for (let i = 0; i < 4; i++) clock.tick(1000);
    await new Promise((r) => setTimeout(r, 100));
    expect(t.changes(t.a)).toEqual([]);
    clock.tick(1000);
    await until(() => t.changes(t.a).length === 3, { what: "the changes" });
    expect(t.changes(t.b)).toEqual(t.expected);
    await t.close();
  } finally {
    clock.uninstall();
  }
});
