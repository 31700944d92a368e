import { expect } from "expect";
import type { BusEvent } from "./bus.ts";
import { KvBus } from "./kv.ts";
import { until } from "@/tests/helpers/until.ts";

async function tempKv() {
  const dir = await Deno.makeTempDir({ prefix: "bus-kv-" });
  return { path: `${dir}/bus.kv`, dir };
}

function recorder(bus: KvBus) {
  const events: BusEvent[] = [];
  bus.subscribe((e) => events.push(e));
  return events;
}

const message = (room: string, id: number): BusEvent => ({
  kind: "message",
  message: { id, room, user: "ana", text: `m${id}`, ts: 1 },
});

Deno.test("kv bus - two instances see each other's events, each in order", async () => {
  const { path, dir } = await tempKv();
  const kvA = await Deno.openKv(path);
  const kvB = await Deno.openKv(path);
  const a = await KvBus.open(kvA, { instanceId: "a" });
  const b = await KvBus.open(kvB, { instanceId: "b" });
  const seenA = recorder(a);
  const seenB = recorder(b);
  for (let i = 1; i <= 20; i++) {
    await a.publish(message(i % 2 ? "general" : "random", i));
  }
  await b.publish({
    kind: "typing",
    room: "general",
    user: "ben",
    typing: true,
  });
  const ids = (events: BusEvent[], room: string) =>
    events.flatMap((e) =>
      e.kind === "message" && e.message.room === room ? [e.message.id] : []
    );
  await until(() => seenB.length === 21 && seenA.length === 21);
  expect(ids(seenB, "general")).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
  expect(ids(seenB, "random")).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
  expect(seenA).toContainEqual({
    kind: "typing",
    room: "general",
    user: "ben",
    typing: true,
  });
  // `resync` stays local.
  await a.publish({ kind: "resync" });
  expect(seenA.at(-1)).toEqual({ kind: "resync" });
  await new Promise((r) => setTimeout(r, 100));
  expect(seenB.some((e) => e.kind === "resync")).toBe(false);
  await a.close();
  await b.close();
  kvA.close();
  kvB.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("kv bus - presence is the union of live instances; a dead instance's entry is ignored", async () => {
  const { path, dir } = await tempKv();
  const kvA = await Deno.openKv(path);
  const kvB = await Deno.openKv(path);
  const a = await KvBus.open(kvA, {
    instanceId: "a",
    heartbeatMs: 50,
    presenceTtlMs: 200,
  });
  const b = await KvBus.open(kvB, {
    instanceId: "b",
    heartbeatMs: 50,
    presenceTtlMs: 200,
  });
  await a.setPresence("general", [{ name: "ana", guest: true }]);
  await b.setPresence("general", [{ name: "ben", guest: false }, {
    name: "ana",
    guest: true,
  }]);
  expect(await a.presence("general")).toEqual([{ name: "ana", guest: true }, {
    name: "ben",
    guest: false,
  }]);
  // An instance that died without cleaning up: its entry's deadline passes.
  await kvA.set(["bus", "presence", "general", "dead"], {
    users: [{ name: "ghost", guest: true }],
    until: Date.now() - 1,
  });
  expect((await b.presence("general")).map((u) => u.name)).toEqual([
    "ana",
    "ben",
  ]);
  // A live instance keeps renewing past its TTL.
  await new Promise((r) => setTimeout(r, 400));
  expect((await b.presence("general")).map((u) => u.name)).toEqual([
    "ana",
    "ben",
  ]);
  await a.close(); // removes its own entry
  expect((await b.presence("general")).map((u) => u.name)).toEqual([
    "ana",
    "ben",
  ]);
  await b.setPresence("general", [{ name: "ben", guest: false }]);
  expect((await b.presence("general")).map((u) => u.name)).toEqual(["ben"]);
  await b.close();
  kvA.close();
  kvB.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("kv bus - many publishes at once all reach the other instance, in order", async () => {
  const { path, dir } = await tempKv();
  const kvA = await Deno.openKv(path);
  const kvB = await Deno.openKv(path);
  const a = await KvBus.open(kvA, { instanceId: "a" });
  const b = await KvBus.open(kvB, { instanceId: "b" });
  const seenB = recorder(b);
  await Promise.all(
    Array.from({ length: 60 }, (_, i) => a.publish(message("general", i + 1))),
  );
  await until(() => seenB.length === 60);
  expect(seenB.flatMap((e) => e.kind === "message" ? [e.message.id] : []))
    .toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  await a.close();
  await b.close();
  kvA.close();
  kvB.close();
  await Deno.remove(dir, { recursive: true });
});
