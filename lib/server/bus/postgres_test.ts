import { expect } from "expect";
import postgres from "postgres";
import { PostgresBus, type PostgresBusOptions } from "./postgres.ts";
import type { BusEvent } from "./bus.ts";
import { startPostgres } from "@/tests/helpers/postgres.ts";
import { until } from "@/tests/helpers/until.ts";
import { presenceEvents } from "@/tests/helpers/fixtures.ts";

/** A quick heartbeat, with room for a loaded machine before presence lapses. */
const FAST: PostgresBusOptions = { heartbeatMs: 200, presenceTtlMs: 3000 };

async function recording(url: string, options: PostgresBusOptions = {}) {
  const bus = await PostgresBus.connect(url, { ...FAST, ...options });
  const events: BusEvent[] = [];
  bus.subscribe((e) => events.push(e));
  return { bus, events };
}

Deno.test("postgres bus - two instances see each other's events, presence and membership events too, and large ones", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("bus_events");
  const a = await recording(url, { instanceId: "a" });
  const b = await recording(url, { instanceId: "b" });
  try {
    const message = { id: 1, room: "general", user: "ann", text: "hi", ts: 5 };
    await a.bus.publish({ kind: "message", message });
    // Each instance has its own events at once, the other's by NOTIFY.
    expect(a.events).toEqual([{ kind: "message", message }]);
    await until(() => b.events.length >= 1, { what: "the message on b" });
    await b.bus.publish({
      kind: "typing",
      room: "general",
      user: "bob",
      typing: true,
    });
    const expected: BusEvent[] = [
      { kind: "message", message },
      { kind: "typing", room: "general", user: "bob", typing: true },
    ];
    await until(() => a.events.length >= 2 && b.events.length >= 2, {
      what: "both events on both instances",
    });
    expect(a.events).toEqual(expected);
    expect(b.events).toEqual(expected);

    // Over NOTIFY's 8000-byte payload limit: carried by reference.
    const big = { ...message, id: 2, text: "é".repeat(20_000) };
    await a.bus.publish({ kind: "message", message: big });
    await until(() => b.events.length >= 3, { what: "the large event" });
    expect(b.events[2]).toEqual({ kind: "message", message: big });

    // The events hubs replicate presence and membership with, every field.
    for (const e of presenceEvents) await a.bus.publish(e);
    await until(() => b.events.length >= 3 + presenceEvents.length, {
      what: "the presence events",
    });
    expect(b.events.slice(3)).toEqual(presenceEvents);
    // A map part over the payload limit goes by reference, in order.
    const part = {
      kind: "people" as const,
      instance: "a",
      seq: 9,
      people: Array.from({ length: 400 }, (_, i) => ({
        name: `person-${i}`,
        guest: false,
        status: "online" as const,
        rooms: ["general", "random"],
      })),
      part: 0,
      parts: 1,
    };
    await a.bus.publish(part);
    await a.bus.publish(presenceEvents[2]);
    await until(() => b.events.length >= 5 + presenceEvents.length, {
      what: "the large part",
    });
    expect(b.events.slice(-2)).toEqual([part, presenceEvents[2]]);
    // Own events come back by NOTIFY too, and are not handed on again: once
    // a has b's last event (notified after all of a's), each has each once.
    await b.bus.publish({ kind: "room", room: "last" });
    await until(() => a.events.some((e) => e.kind === "room"), {
      what: "b's last event on a",
    });
    await until(() => b.events.length === a.events.length, {
      what: "as many events on b as on a",
    });
    expect(a.events.length).toBe(6 + presenceEvents.length);
    const key = (e: BusEvent) => JSON.stringify(e);
    expect(a.events.map(key).sort()).toEqual(b.events.map(key).sort());
    // An event without an origin tag, as instances of earlier versions
    // notify them (a rolling upgrade), reaches both.
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await sql`SELECT pg_notify('chat_events', '{"kind":"room","room":"old"}')`;
    } finally {
      await sql.end();
    }
    const old = { kind: "room", room: "old" };
    await until(() => a.events.length === 7 + presenceEvents.length, {
      what: "the untagged event on a",
    });
    await until(() => b.events.length === 7 + presenceEvents.length, {
      what: "the untagged event on b",
    });
    expect(a.events.at(-1)).toEqual(old);
    expect(b.events.at(-1)).toEqual(old);
    expect(await a.bus.healthy()).toBe(true);
  } finally {
    await a.bus.close();
    await b.bus.close();
  }
});

Deno.test("postgres bus - after a PostgreSQL restart it resyncs and carries events again", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("bus_restart");
  const a = await recording(url, { instanceId: "a" });
  const b = await recording(url, { instanceId: "b" });
  let bClosed = false;
  try {
    await pg.restart();
    await until(() => a.events.some((e) => e.kind === "resync"), {
      what: "resync after the restart",
      ms: 20_000,
    });
    await until(() => a.bus.healthy(), { what: "healthy again" });
    // Events flow again after the reconnection.
    await b.bus.publish({ kind: "room", room: "new" });
    await until(
      () => a.events.some((e) => e.kind === "room" && e.room === "new"),
      { what: "an event after the restart" },
    );
    await b.bus.close();
    bClosed = true;
  } finally {
    await a.bus.close();
    if (!bClosed) await b.bus.close();
  }
});
