import { expect } from "expect";
import type { BusEvent } from "./bus.ts";
import { KvBus } from "./kv.ts";
import { until } from "@/tests/helpers/until.ts";
import { presenceEvents } from "@/tests/helpers/fixtures.ts";

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
  const a = await KvBus.open(kvA, {});
  const b = await KvBus.open(kvB, {});
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

Deno.test("kv bus - many publishes at once all reach the other instance, in order", async () => {
  const { path, dir } = await tempKv();
  const kvA = await Deno.openKv(path);
  const kvB = await Deno.openKv(path);
  const a = await KvBus.open(kvA, {});
  const b = await KvBus.open(kvB, {});
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

Deno.test("kv bus - presence, membership and member frames reach another instance with every field, one instance's presence in order", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kv-bus-presence-" });
  const kvA = await Deno.openKv(`${dir}/bus.kv`);
  const kvB = await Deno.openKv(`${dir}/bus.kv`);
  const a = await KvBus.open(kvA, { pollMs: 50, ownsKv: true });
  const b = await KvBus.open(kvB, { pollMs: 50, ownsKv: true });
  try {
    const seen: BusEvent[] = [];
    b.subscribe((e) => seen.push(e));
    for (const e of presenceEvents) await a.publish(e);
    await until(() => seen.length >= presenceEvents.length, {
      what: "every event on b",
    });
    // Every event once, with every field. Events of different shards (one
    // per room, member or instance) may arrive in any order; one
    // instance's presence events share a shard and keep theirs.
    const got = seen.filter((e) => e.kind !== "resync");
    const byText = (list: BusEvent[]) =>
      list.map((e) => JSON.stringify(e)).sort();
    expect(byText(got)).toEqual(byText(presenceEvents));
    const presence = (list: BusEvent[]) =>
      list.filter((e) => e.kind === "people" || e.kind === "instance");
    expect(presence(got)).toEqual(presence(presenceEvents));
    // Many changes of one instance at once: in order, none lost.
    const changes = Array.from({ length: 120 }, (_, i) => ({
      kind: "people" as const,
      instance: "i-9",
      seq: i + 1,
      people: [],
    }));
    seen.length = 0;
    await Promise.all(changes.map((e) => a.publish(e)));
    await until(() => seen.length >= changes.length, { what: "all changes" });
    expect(seen.map((e) => e.kind === "people" ? e.seq : -1)).toEqual(
      changes.map((e) => e.seq),
    );
  } finally {
    await a.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
  }
});
