import { expect } from "expect";
import postgres from "postgres";
import { PostgresBus, type PostgresBusOptions } from "./postgres.ts";
import type { BusEvent } from "./bus.ts";
import { startPostgres } from "@/tests/helpers/postgres.ts";
import { until } from "@/tests/helpers/until.ts";

/** A quick heartbeat, with room for a loaded machine before presence lapses. */
const FAST: PostgresBusOptions = { heartbeatMs: 200, presenceTtlMs: 3000 };

const ann = { name: "ann", guest: false };
const bob = { name: "bob", guest: true };

async function recording(url: string, options: PostgresBusOptions = {}) {
  const bus = await PostgresBus.connect(url, { ...FAST, ...options });
  const events: BusEvent[] = [];
  bus.subscribe((e) => events.push(e));
  return { bus, events };
}

Deno.test("postgres bus - two instances see each other's events, presence and typing; large events too", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("bus_events");
  const a = await recording(url, { instanceId: "a" });
  const b = await recording(url, { instanceId: "b" });
  try {
    const message = { id: 1, room: "general", user: "ann", text: "hi", ts: 5 };
    await a.bus.publish({ kind: "message", message });
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

    // Presence is the union of both instances, each user once.
    await a.bus.setPresence("general", [ann]);
    await b.bus.setPresence("general", [bob, ann]);
    await until(async () =>
      JSON.stringify(await a.bus.presence("general")) ===
        JSON.stringify([ann, bob]), { what: "presence [ann, bob] on a" });
    await until(async () =>
      JSON.stringify(await b.bus.presence("general")) ===
        JSON.stringify([ann, bob]), { what: "presence [ann, bob] on b" });
    await until(
      () => a.events.some((e) => e.kind === "presence"),
      { what: "a presence event" },
    );
    await b.bus.setPresence("general", []);
    await until(async () =>
      JSON.stringify(await a.bus.presence("general")) ===
        JSON.stringify([ann]), { what: "presence [ann] on a" });
    expect(await a.bus.healthy()).toBe(true);
  } finally {
    await a.bus.close();
    await b.bus.close();
  }
});

Deno.test("postgres bus - after a PostgreSQL restart it resyncs and carries events again; a closed instance's users leave", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("bus_restart");
  const a = await recording(url, { instanceId: "a" });
  const b = await recording(url, { instanceId: "b" });
  let bClosed = false;
  try {
    await b.bus.setPresence("general", [bob]);
    await until(async () =>
      JSON.stringify(await a.bus.presence("general")) ===
        JSON.stringify([bob]), { what: "presence [bob] on a" });

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
    // Presence was rewritten by the heartbeat; closing removes it.
    await until(async () =>
      JSON.stringify(await a.bus.presence("general")) ===
        JSON.stringify([bob]), { what: "presence [bob] on a" });
    await b.bus.close();
    bClosed = true;
    await until(async () => (await a.bus.presence("general")).length === 0, {
      what: "b's users gone",
    });
  } finally {
    await a.bus.close();
    if (!bClosed) await b.bus.close();
  }
});

Deno.test("postgres bus - an instance whose heartbeat lapses drops out of presence", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("bus_lapse");
  const a = await recording(url, { instanceId: "a" });
  // b beats once, at start, and not again within the test.
  const b = await recording(url, {
    instanceId: "b",
    heartbeatMs: 600_000,
    presenceTtlMs: 1_200_000,
  });
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await b.bus.setPresence("general", [bob]);
    await until(async () => (await a.bus.presence("general")).length === 1, {
      what: "bob on a",
    });
    // As if b died: its heartbeat row runs out.
    await sql`UPDATE bus_instances SET alive_until = now() - interval '1 second'
      WHERE instance = 'b'`;
    const seen = a.events.length;
    await until(async () => (await a.bus.presence("general")).length === 0, {
      what: "bob gone from a",
    });
    expect(a.events.slice(seen)).toContainEqual({
      kind: "presence",
      room: "general",
    });
  } finally {
    await sql.end();
    await a.bus.close();
    await b.bus.close();
  }
});
