import { expect } from "expect";
import type { Config } from "@/lib/server/config.ts";
import type { Store } from "@/lib/server/store/store.ts";
import type { Bus, BusEvent } from "@/lib/server/bus/bus.ts";
import type { Metrics } from "@/lib/server/metrics.ts";
import { Rooms } from "./rooms.ts";

/**
 * Rooms over a store holding one public room "team" whose `room` reads wait
 * for `release()`, and a bus whose events `emit` delivers.
 */
async function held(stored: { topic?: string; gone?: boolean }) {
  let handler: (e: BusEvent) => void = () => {};
  let release = () => {};
  let gate: Promise<void> | undefined;
  const store = {
    createRoom: () => Promise.resolve(),
    rooms: () => Promise.resolve([{ id: "team", kind: "public" }]),
    room: async (id: string) => {
      const now = stored.gone ? null : { id, kind: "public", ...stored };
      if (gate) await gate;
      return now;
    },
  } as unknown as Store;
  const bus = {
    subscribe: (h: (e: BusEvent) => void) => handler = h,
    publish: () => Promise.resolve(),
  } as unknown as Bus;
  const metrics = { rooms: { set() {} } } as unknown as Metrics;
  const rooms = await Rooms.open(
    { rooms: [] } as unknown as Config,
    store,
    bus,
    metrics,
    () => 0,
  );
  return {
    rooms,
    emit: (e: BusEvent) => handler(e),
    hold: () => gate = new Promise<void>((r) => release = r),
    release: () => release(),
  };
}

Deno.test("rooms - a refreshed topic is taken and reported once; the same again is no change", async () => {
  const stored: { topic?: string } = {};
  const t = await held(stored);
  expect(await t.rooms.refreshTopic("team")).toBeUndefined();
  stored.topic = "Launch";
  expect(await t.rooms.refreshTopic("team")).toBe("Launch");
  expect((await t.rooms.facts("team"))?.topic).toBe("Launch");
  expect(await t.rooms.refreshTopic("team")).toBeUndefined();
  delete stored.topic;
  expect(await t.rooms.refreshTopic("team")).toBe("");
  expect((await t.rooms.facts("team"))?.topic).toBeUndefined();
});

Deno.test("rooms - a topic from the bus during a refresh's read wins over the older read", async () => {
  const stored: { topic?: string } = { topic: "T1" };
  const t = await held(stored);
  t.hold();
  const refreshing = t.rooms.refreshTopic("team");
  t.emit({
    kind: "room_frame",
    room: "team",
    frame: { type: "topic", room: "team", topic: "T2", by: "ana" },
  });
  t.release();
  expect(await refreshing).toBeUndefined();
  expect((await t.rooms.facts("team"))?.topic).toBe("T2");
});

Deno.test("rooms - a room deleted during a refresh's read stays deleted", async () => {
  const stored: { topic?: string; gone?: boolean } = { topic: "T1" };
  const t = await held(stored);
  t.hold();
  const refreshing = t.rooms.refreshTopic("team");
  t.emit({ kind: "room_deleted", room: "team" });
  stored.gone = true;
  t.release();
  expect(await refreshing).toBeUndefined();
  expect(await t.rooms.has("team")).toBe(false);
});
