import { expect } from "expect";
import type { Config } from "@/lib/server/config.ts";
import type { Store } from "@/lib/server/store/store.ts";
import type { Bus, BusEvent } from "@/lib/server/bus/bus.ts";
import type { Metrics } from "@/lib/server/metrics.ts";
import { Rooms } from "./rooms.ts";

/**
 * Rooms over a store holding the public rooms in `stored` (by id, with
 * their topics; "team" at first), whose reads (as of their start) wait for
 * `release()` after `hold()`, and a bus whose events `emit` delivers.
 */
async function held(
  stored = new Map<
    string,
    { topic?: string; kind?: string; createdAt?: number }
  >(
    [["team", {}]],
  ),
) {
  let handler: (e: BusEvent) => void = () => {};
  let release = () => {};
  let gate: Promise<void> | undefined;
  const store = {
    createRoom: () => Promise.resolve(),
    rooms: async () => {
      const now = [...stored].map(([id, r]) => ({ id, kind: "public", ...r }));
      if (gate) await gate;
      return now;
    },
    room: (id: string) => {
      const r = stored.get(id);
      return Promise.resolve(r ? { id, kind: "public", ...r } : null);
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
    stored,
    emit: (e: BusEvent) => handler(e),
    hold: () => gate = new Promise<void>((r) => release = r),
    release: () => {
      gate = undefined;
      release();
    },
  };
}

const ids = async (rooms: Rooms) => (await rooms.list()).map((r) => r.id);

Deno.test("rooms - a reconcile reports a changed topic once, and takes rooms created and deleted meanwhile", async () => {
  const t = await held();
  expect(await t.rooms.reconcile()).toEqual({ gone: [], topics: new Map() });
  t.stored.get("team")!.topic = "Launch";
  t.stored.set("new", {});
  expect(await t.rooms.reconcile()).toEqual({
    gone: [],
    topics: new Map([["team", "Launch"]]),
  });
  expect((await t.rooms.facts("team"))?.topic).toBe("Launch");
  expect(await ids(t.rooms)).toEqual(["team", "new"]);
  expect(await t.rooms.reconcile()).toEqual({ gone: [], topics: new Map() });
  delete t.stored.get("team")!.topic;
  t.stored.delete("new");
  expect(await t.rooms.reconcile()).toEqual({
    gone: ["new"],
    topics: new Map([["team", ""]]),
  });
  expect((await t.rooms.facts("team"))?.topic).toBeUndefined();
  expect(await ids(t.rooms)).toEqual(["team"]);
});

Deno.test("rooms - a topic from the bus during a reconcile's read wins over the older read", async () => {
  const t = await held(new Map([["team", { topic: "T1" }]]));
  t.hold();
  const reconciling = t.rooms.reconcile();
  t.emit({
    kind: "room_frame",
    room: "team",
    frame: { type: "topic", room: "team", topic: "T2", by: "ana" },
  });
  t.release();
  expect(await reconciling).toEqual({ gone: [], topics: new Map() });
  expect((await t.rooms.facts("team"))?.topic).toBe("T2");
});

Deno.test("rooms - a room deleted during a reconcile's read stays deleted, one created then is kept", async () => {
  const t = await held(new Map([["team", { topic: "T1" }], ["old", {}]]));
  t.hold();
  const reconciling = t.rooms.reconcile();
  // Deleted after the read began (which still sees it), created after too.
  t.emit({ kind: "room_deleted", room: "old" });
  t.stored.delete("old");
  t.stored.set("fresh", {});
  t.emit({ kind: "room", room: "fresh" });
  t.release();
  expect(await reconciling).toEqual({ gone: [], topics: new Map() });
  expect(await t.rooms.has("old")).toBe(false);
  expect(await t.rooms.has("fresh")).toBe(true);
  expect(await ids(t.rooms)).toEqual(["team", "fresh"]);
});

Deno.test("rooms - a room deleted and made again meanwhile, private now or just newer, is reported gone and cached anew", async () => {
  const t = await held(
    new Map<string, { topic?: string; kind?: string; createdAt?: number }>([
      ["team", { createdAt: 1 }],
      ["lab", { createdAt: 1 }],
    ]),
  );
  t.stored.set("team", { kind: "private", createdAt: 2 });
  t.stored.set("lab", { createdAt: 3 });
  expect((await t.rooms.reconcile()).gone.sort()).toEqual(["lab", "team"]);
  expect((await t.rooms.facts("team"))?.kind).toBe("private");
  expect(await t.rooms.has("lab")).toBe(true);
  expect(await t.rooms.reconcile()).toEqual({ gone: [], topics: new Map() });
});
