import { expect } from "expect";
import { Hub, type Socket } from "./hub.ts";
import { type Bus, type BusEvent, LocalBus } from "@/lib/server/bus/bus.ts";
import { openKvStore } from "@/lib/server/store/kv.ts";
import type { Store } from "@/lib/server/store/store.ts";
import { until } from "@/tests/helpers/until.ts";

class FakeSocket implements Socket {
  readyState = 1;
  bufferedAmount = 0;
  sent: string[] = [];
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.readyState = 3;
  }
  frames(type: string): Record<string, unknown>[] {
    return this.sent.map((s) => JSON.parse(s)).filter((f) => f.type === type);
  }
}

/**
 * One instance's view of a shared {@link LocalBus}, which a test can cut
 * (as if the instance died) or make drop chosen events.
 */
class Link implements Bus {
  cut = false;
  /** This instance's own bus is down: it hears nothing and says so. */
  down = false;
  drop: (e: BusEvent) => boolean = () => false;
  /** Events held back from this instance (while set), as a blocked loop would. */
  held: BusEvent[] | null = null;
  #handler: (e: BusEvent) => void = () => {};
  constructor(readonly shared: LocalBus) {}
  /** Hands over the held events. */
  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const e of held) this.#handler(e);
  }
  degraded(): boolean {
    return this.down;
  }
  publish(event: BusEvent): Promise<void> {
    if (this.cut || this.down || this.drop(event)) return Promise.resolve();
    return this.shared.publish(event);
  }
  subscribe(handler: (event: BusEvent) => void): void {
    this.#handler = handler;
    this.shared.subscribe((e) => {
      if (this.cut || this.down) return;
      if (this.held) this.held.push(e);
      else handler(e);
    });
  }
  healthy(): Promise<boolean> {
    return Promise.resolve(!this.cut);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function instances(n: number) {
  const store: Store = await openKvStore({
    path: ":memory:",
    historyLimit: 100,
  });
  const shared = new LocalBus();
  const links = Array.from({ length: n }, () => new Link(shared));
  const hubs = links.map((bus, i) =>
    new Hub({
      store,
      bus,
      instanceId: `i${i}`,
      slowClientBytes: 1 << 20,
      slowClientGraceMs: 1000,
      typingTtlMs: 5000,
      presenceBeatMs: 50,
      presenceTtlMs: 300,
      presenceFlushMs: 100,
    })
  );
  return {
    hubs,
    links,
    async close() {
      for (const h of hubs) h.close();
      await store.close();
    },
  };
}

const mina = { name: "mina", guest: true };

Deno.test("presence - a person with a tab on each of two instances is one online member; closing both makes them offline everywhere", async () => {
  const { hubs: [a, b], close } = await instances(2);
  const watcher = new FakeSocket();
  await a.subscribe(
    a.connect(watcher, { name: "w", guest: false }, "v1", "kw", ["general"]),
    "general",
  );
  const tabA = a.connect(new FakeSocket(), mina, "v1", "km", ["general"]);
  const tabB = b.connect(new FakeSocket(), mina, "v1", "km", ["general"]);
  for (const h of [a, b]) {
    await until(() => h.onlineCount("general") === 2, { what: "both online" });
    expect(h.online("general").map((u) => u.name).sort()).toEqual([
      "mina",
      "w",
    ]);
  }
  a.disconnect(tabA);
  await new Promise((r) => setTimeout(r, 200));
  for (const h of [a, b]) expect(h.status("mina")).toBe("online");
  b.disconnect(tabB);
  for (const h of [a, b]) {
    await until(() => h.status("mina") === "offline", { what: "offline" });
    expect(h.onlineCount("general")).toBe(1);
  }
  await until(
    () =>
      watcher.frames("presence").some((f) =>
        JSON.stringify(f.changes).includes(
          '"mina","guest":true,"status":"offline"',
        )
      ),
    { what: "the viewer told" },
  );
  await close();
});

Deno.test("presence - an instance that dies without a word is forgotten within the TTL", async () => {
  const { hubs: [a, b], links, close } = await instances(2);
  b.connect(new FakeSocket(), mina, "v1", "km", ["general"]);
  await until(() => a.status("mina") === "online", { what: "mina on a" });
  links[1].cut = true;
  const cutAt = Date.now();
  await until(() => a.status("mina") === "offline", { what: "mina gone" });
  expect(Date.now() - cutAt).toBeLessThan(3000);
  expect(a.onlineCount("general")).toBe(0);
  await close();
});

Deno.test("presence - while an instance's own bus is down, the people of the others stay as they were; back, it hears them again", async () => {
  const { hubs: [a, b], links, close } = await instances(2);
  b.connect(new FakeSocket(), mina, "v1", "km", ["general"]);
  await until(() => a.status("mina") === "online", { what: "mina on a" });
  links[0].down = true;
  // Many TTLs (300 ms) of hearing nothing.
  await new Promise((r) => setTimeout(r, 1500));
  expect(a.status("mina")).toBe("online");
  expect(a.onlineCount("general")).toBe(1);
  links[0].down = false;
  // b's people still there after it hears b again (b beats every 50 ms).
  await new Promise((r) => setTimeout(r, 600));
  expect(a.status("mina")).toBe("online");
  await close();
});

Deno.test("presence - a newcomer gets every instance's map, and a lost change is healed by asking again", async () => {
  const { hubs: [a, b], links, close } = await instances(2);
  // b loses its next change on the way.
  let lose = true;
  links[1].drop = (e) => {
    if (lose && e.kind === "people" && e.parts === undefined) {
      lose = false;
      return true;
    }
    return false;
  };
  b.connect(new FakeSocket(), mina, "v1", "km", ["r1", "r2"]);
  await until(() => a.status("mina") === "online", { what: "healed" });
  expect(a.online("r2")).toEqual([mina]);
  expect(lose).toBe(false);
  // A third instance, started later, learns everything.
  const store = await openKvStore({ path: ":memory:", historyLimit: 10 });
  const c = new Hub({
    store,
    bus: new Link(links[0].shared),
    instanceId: "late",
    slowClientBytes: 1 << 20,
    slowClientGraceMs: 1000,
    typingTtlMs: 5000,
    presenceBeatMs: 50,
    presenceTtlMs: 300,
  });
  a.connect(new FakeSocket(), { name: "ann", guest: false }, "v1", "ka", [
    "r1",
  ]);
  await until(() => c.onlineCount("r1") === 2, { what: "the late map" });
  c.close();
  await store.close();
  await close();
});

Deno.test("presence - memberAdded and memberRemoved reach every instance; with a key the member's sockets leave the room", async () => {
  const { hubs: [a, b], close } = await instances(2);
  const s1 = new FakeSocket(), s2 = new FakeSocket();
  const t1 = a.connect(s1, mina, "v1", "km");
  const t2 = b.connect(s2, mina, "v1", "km");
  await a.subscribe(t1, "design");
  await b.subscribe(t2, "design");
  expect(a.onlineCount("design")).toBe(0);
  await a.memberAdded("design", mina);
  expect(a.onlineCount("design")).toBe(1);
  await until(() => b.onlineCount("design") === 1, { what: "b's index" });
  await a.toMember("km", { type: "pong", serverTime: 1 });
  expect(s1.frames("pong").length).toBe(1);
  expect(s2.frames("pong").length).toBe(1);
  await b.memberRemoved("design", "mina", { key: "km", reason: "removed" });
  for (const [h, s, t] of [[a, s1, t1], [b, s2, t2]] as const) {
    await until(() => h.onlineCount("design") === 0, { what: "removed" });
    expect(s.frames("left")).toEqual([{
      type: "left",
      room: "design",
      reason: "removed",
    }]);
    expect(t.rooms.has("design")).toBe(false);
  }
  await close();
});

Deno.test("presence - a newcomer gets a big map in parts; each event stays small", async () => {
  const { hubs: [a], links, close } = await instances(1);
  const sizes: number[] = [];
  links[0].shared.subscribe((e) => {
    if (e.kind === "people") sizes.push(JSON.stringify(e).length);
  });
  const rooms = Array.from({ length: 10 }, (_, i) => `a-long-room-name-${i}`);
  for (let i = 0; i < 2000; i++) {
    a.connect(
      new FakeSocket(),
      { name: `p${i}`, guest: true },
      "v1",
      `k${i}`,
      rooms,
    );
  }
  const store = await openKvStore({ path: ":memory:", historyLimit: 10 });
  const late = new Hub({
    store,
    bus: new Link(links[0].shared),
    instanceId: "late",
    slowClientBytes: 1 << 20,
    slowClientGraceMs: 1000,
    typingTtlMs: 5000,
    presenceBeatMs: 50,
    presenceTtlMs: 300,
  });
  await until(() => late.onlineCount("a-long-room-name-9") === 2000, {
    what: "the whole map",
  });
  expect(late.status("p1999")).toBe("online");
  expect(Math.max(...sizes)).toBeLessThan(8000);
  late.close();
  await store.close();
  await close();
});

Deno.test("presence - a person idle on one instance but active on another is online; away only when away everywhere", async () => {
  let now = 0;
  const shared = new LocalBus();
  const store = await openKvStore({ path: ":memory:", historyLimit: 10 });
  const [a, b] = ["a", "b"].map((id) =>
    new Hub({
      store,
      bus: new Link(shared),
      instanceId: id,
      slowClientBytes: 1 << 20,
      slowClientGraceMs: 1000,
      typingTtlMs: 5000,
      presenceBeatMs: 20,
      presenceTtlMs: 10_000,
      awayAfterMs: 1000,
      now: () => now,
    })
  );
  const onA = a.connect(new FakeSocket(), mina, "v1", "km", ["r"]);
  b.connect(new FakeSocket(), mina, "v1", "km", ["r"]);
  await until(() => b.onlineCount("r") === 1);
  now = 1500;
  a.activity(onA);
  // b marks its tab away at its next beat; a's keeps mina online.
  await new Promise((r) => setTimeout(r, 200));
  for (const h of [a, b]) expect(h.status("mina")).toBe("online");
  now = 3000;
  for (const h of [a, b]) {
    await until(() => h.status("mina") === "away", { what: "away on both" });
    expect(h.onlineCount("r")).toBe(1);
  }
  a.activity(onA);
  for (const h of [a, b]) {
    await until(() => h.status("mina") === "online", { what: "back" });
  }
  a.close();
  b.close();
  await store.close();
});

Deno.test("presence - an instance whose own event loop stalled does not flap the others' people offline", async () => {
  let jump = 0;
  const shared = new LocalBus();
  const store = await openKvStore({ path: ":memory:", historyLimit: 10 });
  const hub = (id: string, now?: () => number, bus = new Link(shared)) =>
    new Hub({
      store,
      bus,
      instanceId: id,
      slowClientBytes: 1 << 20,
      slowClientGraceMs: 1000,
      typingTtlMs: 5000,
      presenceBeatMs: 50,
      presenceTtlMs: 300,
      presenceFlushMs: 50,
      now,
    });
  const linkA = new Link(shared);
  const a = hub("a", () => Date.now() + jump, linkA);
  const b = hub("b");
  const watcher = new FakeSocket();
  await a.subscribe(
    a.connect(watcher, { name: "w", guest: true }, "v1", "kw", ["r"]),
    "r",
  );
  b.connect(new FakeSocket(), mina, "v1", "km", ["r"]);
  await until(() => a.status("mina") === "online");
  // As if a's event loop had been blocked for 10 s: its clock jumps, and
  // its timers run before the heartbeats that wait unread.
  linkA.held = [];
  jump = 10_000;
  await new Promise((r) => setTimeout(r, 150));
  linkA.release();
  await new Promise((r) => setTimeout(r, 200));
  expect(a.status("mina")).toBe("online");
  expect(JSON.stringify(watcher.frames("presence"))).not.toContain("offline");
  a.close();
  b.close();
  await store.close();
});

Deno.test("presence - the online list in name order is sorted once and kept until someone comes or goes, on any instance", async () => {
  const { hubs: [a, b], close } = await instances(2);
  const zoe = a.connect(
    new FakeSocket(),
    { name: "zoe", guest: true },
    "v1",
    "kz",
    ["general"],
  );
  a.connect(new FakeSocket(), mina, "v1", "km", ["general"]);
  await until(() => a.onlineCount("general") === 2, { what: "both online" });
  const first = a.onlineByName("general");
  expect(first.map((u) => u.name)).toEqual(["mina", "zoe"]);
  // Asked again with nothing changed: the same list, not sorted again.
  expect(a.onlineByName("general")).toBe(first);
  b.connect(new FakeSocket(), { name: "ana", guest: true }, "v1", "ka", [
    "general",
  ]);
  await until(() => a.onlineCount("general") === 3, { what: "ana online" });
  expect(a.onlineByName("general").map((u) => u.name)).toEqual([
    "ana",
    "mina",
    "zoe",
  ]);
  a.disconnect(zoe);
  await until(() => a.onlineCount("general") === 2, { what: "zoe gone" });
  expect(a.onlineByName("general").map((u) => u.name)).toEqual([
    "ana",
    "mina",
  ]);
  await close();
});
