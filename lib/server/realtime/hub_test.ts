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
  opts: { slowClientGraceMs?: number; now?: () => number } = {},
) {
  const store = await openKvStore({ path: ":memory:", historyLimit: 1000 });
  const bus = new LocalBus();
  const hub = new Hub({
    store,
    bus,
    slowClientBytes: 1000,
    slowClientGraceMs: opts.slowClientGraceMs ?? 100,
    typingTtlMs: 5000,
    gapWaitMs: 20,
    now: opts.now,
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

Deno.test("hub - two tabs of one user are one presence entry", async () => {
  const { hub, bus, close } = await setup();
  const [t1, t2, other] = [
    new FakeSocket(),
    new FakeSocket(),
    new FakeSocket(),
  ];
  const c1 = hub.connect(t1, { name: "mina", guest: true }, "v1");
  const c2 = hub.connect(t2, { name: "mina", guest: true }, "v1");
  await hub.join(
    hub.connect(other, { name: "joon", guest: false }, "v1"),
    "general",
  );
  await hub.join(c1, "general");
  await hub.join(c2, "general");
  await until(() => other.frames("user_joined").length === 2);
  expect(await bus.presence("general")).toEqual([
    { name: "joon", guest: false },
    { name: "mina", guest: true },
  ]);
  expect(other.frames("user_joined").map((f) => f.user)).toEqual([
    "joon",
    "mina",
  ]);
  hub.disconnect(c1);
  await new Promise((r) => setTimeout(r, 10));
  expect(other.frames("user_left")).toEqual([]);
  hub.disconnect(c2);
  await until(() => other.frames("user_left").length === 1);
  expect((await bus.presence("general")).map((u) => u.name)).toEqual(["joon"]);
  await close();
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

Deno.test("hub - a user whose instance died leaves the member list without any event", async () => {
  const clock = FakeTimers.install({
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"],
  });
  try {
    const { hub, bus, close } = await setup();
    const a = new FakeSocket();
    await hub.join(hub.connect(a, { name: "a", guest: true }, "v1"), "general");
    // Another instance's user, as the bus reports it, then gone silently.
    let others = [{ name: "ghost", guest: true }];
    const local = bus.presence.bind(bus);
    bus.presence = async (room) => [...(await local(room)), ...others];
    clock.tick(5000);
    await clock.tickAsync(400);
    expect(a.frames("presence").at(-1)?.users).toEqual([
      { name: "a", guest: true },
      { name: "ghost", guest: true },
    ]);
    others = [];
    clock.tick(5000);
    await clock.tickAsync(400);
    expect(a.frames("presence").at(-1)?.users).toEqual([{
      name: "a",
      guest: true,
    }]);
    await close();
  } finally {
    clock.uninstall();
  }
});
