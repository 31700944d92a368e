import { expect } from "expect";
import postgres from "postgres";
import {
  LISTENER_NAME,
  PostgresBus,
  type PostgresBusOptions,
} from "./postgres.ts";
import type { BusEvent } from "./bus.ts";
import { startPostgres } from "@/tests/helpers/postgres.ts";
import { until } from "@/tests/helpers/until.ts";
import { type ProxyLink, tcpProxy } from "@/tests/helpers/tcp_proxy.ts";
import { presenceEvents } from "@/tests/helpers/fixtures.ts";
import { openPostgresStore } from "@/lib/server/store/postgres.ts";
import { LISTENERS_LOCK_KEY } from "@/lib/server/store/postgres_schema.ts";
import type { ChatMessage } from "@/lib/shared/protocol.ts";

/** A quick heartbeat, with room for a loaded machine before presence lapses. */
const FAST: PostgresBusOptions = { heartbeatMs: 200, presenceTtlMs: 3000 };

async function recording(url: string, options: PostgresBusOptions = {}) {
  const bus = await PostgresBus.connect(url, { ...FAST, ...options });
  const events: BusEvent[] = [];
  bus.subscribe((e) => events.push(e));
  return { bus, events };
}

/**
 * Takes the lock a bus's registration waits for (as a commit in flight
 * does) in a transaction of `admin`, until `release()`.
 */
async function holdRegistrations(
  admin: postgres.Sql,
): Promise<{ release(): Promise<void> }> {
  let release!: () => void;
  const held = new Promise<void>((r) => release = r);
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => locked = r);
  const holder = admin.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${LISTENERS_LOCK_KEY.toString()}::bigint)`;
    locked();
    await held;
  });
  await isLocked;
  return {
    async release() {
      release();
      await holder;
    },
  };
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

Deno.test("postgres bus - events published together travel packed, several to a notification, in order", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("bus_packed");
  const a = await recording(url, { instanceId: "a" });
  const b = await recording(url, { instanceId: "b" });
  const payloads: string[] = [];
  const raw = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await raw.listen("chat_events", (payload) => payloads.push(payload));
    const message = (id: number, text: string) => ({
      kind: "message" as const,
      message: { id, room: "general", user: "ann", text, ts: id },
    });
    // 60 short events, then 30 of about 1,000 bytes (with multi-byte
    // text): more than one notification's 8000 bytes together.
    const events = [
      ...Array.from({ length: 60 }, (_, i) => message(i + 1, `hi ${i}`)),
      ...Array.from(
        { length: 30 },
        (_, i) => message(61 + i, "ü".repeat(400) + "x".repeat(200)),
      ),
    ];
    await Promise.all(events.map((e) => a.bus.publish(e)));
    await until(() => b.events.length >= events.length, {
      what: "every event on b",
    });
    expect(b.events).toEqual(events);
    expect(a.events).toEqual(events);
    const carried = () =>
      payloads.reduce((n, p) => n + (JSON.parse(p).events?.length ?? 0), 0);
    await until(() => carried() === events.length, {
      what: "every event in the raw listener's notifications",
    });
    const bytes = payloads.map((p) => new TextEncoder().encode(p).length);
    // Far fewer notifications than events, none over the limit.
    expect(payloads.length).toBeLessThanOrEqual(15);
    expect(payloads.length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...bytes)).toBeLessThanOrEqual(7000);
  } finally {
    await raw.end();
    await a.bus.close();
    await b.bus.close();
  }
});

Deno.test("postgres bus - identical events filling several notifications of one statement all arrive", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("bus_identical");
  const a = await recording(url, { instanceId: "a" });
  const b = await recording(url, { instanceId: "b" });
  try {
    // About 3,000 bytes each, alike: two to a notification, so several
    // notifications of one statement carry the very same events. PostgreSQL
    // delivers identical payloads of one transaction once.
    const same = { kind: "room" as const, room: "r".repeat(3000) };
    await Promise.all(Array.from({ length: 8 }, () => a.bus.publish(same)));
    await until(() => b.events.filter((e) => e.kind === "room").length >= 8, {
      what: "all eight on b",
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(b.events.filter((e) => e.kind === "room").length).toBe(8);
  } finally {
    await a.bus.close();
    await b.bus.close();
  }
});

Deno.test("postgres bus - a message committed while no other bus listened stays here; a bus registering waits for commits in flight", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("bus_listeners");
  const store = await openPostgresStore({
    url,
    poolSize: 2,
    historyLimit: 100,
  });
  const a = await recording(url, { instanceId: "a" });
  const notified: string[] = [];
  const raw = postgres(url, { max: 2, onnotice: () => {} });
  const buses = [a.bus];
  try {
    await raw.listen("chat_events", (payload) => notified.push(payload));
    const append = (text: string) =>
      store.append({ room: "general", user: "ann", text });
    const event = (m: ChatMessage): BusEvent => ({
      kind: "message",
      message: m,
    });

    // Alone: the commit lists a only, and a keeps the message to itself.
    const first = await append("alone");
    const tagA = first.listeners!;
    expect(tagA).toMatch(/^\S+$/);
    await a.bus.publish(event(first.message), { listeners: first.listeners });
    expect(a.events).toEqual([event(first.message)]);
    // Notifications arrive in order: once this one is in, none came before.
    await a.bus.publish({ kind: "room", room: "marker" });
    await until(() => notified.length > 0, { what: "the marker" });
    expect(notified.length).toBe(1);
    expect(notified[0]).toContain("marker");
    expect(notified[0]).not.toContain("alone");

    // A second bus is listed by the next commit, and gets its message.
    const b = await recording(url, { instanceId: "b" });
    buses.push(b.bus);
    const second = await append("two of us");
    const tags = second.listeners!.split(" ");
    expect(tags).toHaveLength(2);
    expect(tags).toContain(tagA);
    await a.bus.publish(event(second.message), { listeners: second.listeners });
    await until(() => b.events.some((e) => e.kind === "message"), {
      what: "the message on b",
    });
    expect(b.events).toEqual([event(second.message)]);

    // A commit in flight (holding the shared lock) holds up a registering
    // bus until it ends: that bus's clients read the commit from history.
    let release!: () => void;
    let locked!: () => void;
    const holding = new Promise<void>((r) => locked = r);
    const inFlight = raw.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock_shared(${LISTENERS_LOCK_KEY.toString()}::bigint)`;
      locked();
      await new Promise<void>((r) => release = r);
    });
    await holding;
    let registered = false;
    const c = recording(url, { instanceId: "c" }).then((r) => {
      registered = true;
      buses.push(r.bus);
      return r;
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(registered).toBe(false);
    release();
    await inFlight;
    await c;
    expect((await append("three")).listeners!.split(" ")).toHaveLength(3);

    // A bus that closes is no longer listed.
    await b.bus.close();
    const fourth = await append("b left");
    expect(fourth.listeners!.split(" ")).toHaveLength(2);
    expect(fourth.listeners!.split(" ")).not.toContain(
      tags.find((t) => t !== tagA),
    );

    // An instance that died without closing is dropped by the others'
    // heartbeats once silent for 30 s; a younger silence is kept.
    await raw`INSERT INTO bus_listeners (tag, beat_at) VALUES
      ('dead', now() - interval '31 seconds'),
      ('late', now() - interval '20 seconds')`;
    await until(
      async () =>
        (await raw`SELECT 1 FROM bus_listeners WHERE tag = 'dead'`).length ===
          0,
      {
        what: "the dead entry dropped",
      },
    );
    expect(
      (await raw`SELECT 1 FROM bus_listeners WHERE tag = 'late'`).length,
    ).toBe(1);
    await raw`DELETE FROM bus_listeners WHERE tag = 'late'`;

    // An entry removed (as if it expired while a was stalled) comes back at a's
    // next heartbeat, with a resync: a re-reads what it may have missed.
    await raw`DELETE FROM bus_listeners WHERE tag = ${tagA}`;
    await until(() => a.events.some((e) => e.kind === "resync"), {
      what: "a's resync",
    });
    expect((await append("back")).listeners!.split(" ")).toContain(tagA);
  } finally {
    await raw.end();
    for (const bus of buses) await bus.close();
    await store.close();
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

Deno.test("postgres bus - events published while PostgreSQL is away for a while, past their deadlines, don't leave its pool stuck after", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("bus_stuck_pool");
  const a = await recording(url, { instanceId: "a" });
  const b = await recording(url, { instanceId: "b", deadlineMs: 300 });
  try {
    await pg.crash();
    const until4s = Date.now() + 4000;
    for (let i = 0; Date.now() < until4s; i++) {
      await b.bus.publish({ kind: "room", room: `away-${i}` });
      await new Promise((r) => setTimeout(r, 100));
    }
    await pg.start();
    await until(() => b.bus.healthy(), { what: "b healthy", ms: 20_000 });
    // A listens again on its own backoff; an event before that never reaches it.
    await until(() => a.bus.healthy(), { what: "a healthy", ms: 20_000 });
    await b.bus.publish({ kind: "room", room: "after" });
    await until(
      () => a.events.some((e) => e.kind === "room" && e.room === "after"),
      { what: "b's event after the outage", ms: 10_000 },
    );
  } finally {
    await a.bus.close();
    await b.bus.close();
  }
});

Deno.test("postgres bus - relistening whose registration fails closes that listener: one LISTEN, each event once", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("bus_relisten");
  const admin = postgres(url, { max: 2, onnotice: () => {} });
  const listening = async () =>
    (await admin<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database()
        AND application_name = ${LISTENER_NAME}`)[0].n;
  const a = await recording(url, { instanceId: "a", deadlineMs: 400 });
  let b: Awaited<ReturnType<typeof recording>> | undefined;
  try {
    expect(await listening()).toBe(1);
    // Registration waits for this lock: each attempt to listen again
    // succeeds, then fails to register within the deadline.
    const registrations = await holdRegistrations(admin);
    await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = current_database()
        AND application_name = ${LISTENER_NAME}`;
    // Long enough for several attempts (400 ms each, with backoff).
    await new Promise((r) => setTimeout(r, 2500));
    await registrations.release();
    await until(() => a.events.some((e) => e.kind === "resync"), {
      what: "listening again",
      ms: 15_000,
    });
    expect(await listening()).toBe(1);
    b = await recording(url, { instanceId: "b" });
    await b.bus.publish({ kind: "room", room: "once" });
    await until(
      () => a.events.some((e) => e.kind === "room" && e.room === "once"),
      { what: "b's event at a" },
    );
    // A second copy would come through a leaked listener about as fast.
    await new Promise((r) => setTimeout(r, 300));
    expect(
      a.events.filter((e) => e.kind === "room" && e.room === "once").length,
    ).toBe(1);
  } finally {
    await a.bus.close();
    await b?.bus.close();
    await admin.end();
  }
});

Deno.test("postgres bus - a listener lost again while relistening registers is listened again, not left deaf", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("bus_lost_twice");
  const admin = postgres(url, { max: 2, onnotice: () => {} });
  const listener = async () =>
    (await admin<{ pid: number; query: string }[]>`
      SELECT pid, query FROM pg_stat_activity
      WHERE datname = current_database()
        AND application_name = ${LISTENER_NAME}`)[0];
  const terminate = (pid: number) => admin`SELECT pg_terminate_backend(${pid})`;
  const a = await recording(url, { instanceId: "a", deadlineMs: 5_000 });
  let b: Awaited<ReturnType<typeof recording>> | undefined;
  try {
    // Registration waits for this lock, as for a commit in flight.
    const registrations = await holdRegistrations(admin);
    const first = await listener();
    await terminate(first.pid);
    // The new listener has listened and now waits to register: lose it too.
    const second = await until(async () => {
      const l = await listener();
      return l?.pid !== first.pid && l?.query.startsWith("LISTEN")
        ? l
        : undefined;
    }, { what: "a new listener", ms: 10_000 });
    await terminate(second.pid);
    await new Promise((r) => setTimeout(r, 300));
    await registrations.release();
    await until(() => a.bus.healthy(), { what: "listening", ms: 15_000 });
    b = await recording(url, { instanceId: "b" });
    await b.bus.publish({ kind: "room", room: "heard" });
    await until(
      () => a.events.some((e) => e.kind === "room" && e.room === "heard"),
      { what: "b's event at a" },
    );
  } finally {
    await a.bus.close();
    await b?.bus.close();
    await admin.end({ timeout: 1 });
  }
});

Deno.test("postgres bus - while it can't listen it says so (degraded), so its hub reads the store; listening again it stops", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("bus_degraded");
  let refuse = false;
  const proxy = tcpProxy(
    pg.port,
    (chunk) =>
      refuse && new TextDecoder().decode(chunk).includes(LISTENER_NAME)
        ? "end"
        : "forward",
  );
  const proxied = new URL(url);
  proxied.port = String(proxy.port);
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  const a = await recording(proxied.href, { instanceId: "a" });
  try {
    expect(a.bus.degraded()).toBe(false);
    // The listener goes, and can't come back: new listening connections
    // are cut as they start, while the pool's stay up.
    refuse = true;
    await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = current_database()
        AND application_name = ${LISTENER_NAME}`;
    await until(() => a.bus.degraded(), { what: "degraded" });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(a.bus.degraded()).toBe(true);
    refuse = false;
    await until(() => !a.bus.degraded(), { what: "listening", ms: 10_000 });
    await until(() => a.events.some((e) => e.kind === "resync"), {
      what: "a resync",
    });
  } finally {
    await a.bus.close();
    await admin.end({ timeout: 1 });
    proxy.close();
  }
});

Deno.test("postgres bus - a message whose NOTIFY failed reaches the others later all the same", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("bus_notify_failed");
  // Cuts a's pool connection as it notifies message 2, once.
  let cut = false;
  const proxy = tcpProxy(pg.port, (chunk) => {
    if (cut && new TextDecoder().decode(chunk).includes("cut-me")) {
      cut = false;
      return "end";
    }
    return "forward";
  });
  const proxied = new URL(url);
  proxied.port = String(proxy.port);
  const a = await recording(proxied.href, { instanceId: "a" });
  const b = await recording(url, { instanceId: "b" });
  const heard = (id: number) =>
    b.events.some((e) => e.kind === "message" && e.message.id === id);
  try {
    const message = (id: number) => ({
      id,
      room: "quiet",
      user: "ann",
      text: id === 2 ? "cut-me" : `m${id}`,
      ts: id,
    });
    await a.bus.publish({ kind: "message", message: message(1) });
    await until(() => heard(1), { what: "message 1 at b" });
    cut = true;
    await a.bus.publish({ kind: "message", message: message(2) });
    expect(cut).toBe(false);
    // Nothing else is sent in the room: message 2 comes on its own.
    await until(() => heard(2), { what: "message 2 at b", ms: 10_000 });
  } finally {
    await a.bus.close();
    await b.bus.close();
    proxy.close();
  }
});

/**
 * A TCP proxy to `port` that can make the connections which sent `LISTEN`
 * so far go silent both ways while staying open, as when a network path
 * dies without a FIN; later connections pass untouched.
 */
function silencingProxy(port: number) {
  const listening = new Set<ProxyLink>();
  const proxy = tcpProxy(port, (chunk, link) => {
    if (new TextDecoder().decode(chunk).includes("LISTEN")) {
      listening.add(link);
    }
    return "forward";
  });
  return {
    port: proxy.port,
    silenceListeners() {
      for (const link of listening) link.silence();
      listening.clear();
    },
    close: () => proxy.close(),
  };
}

Deno.test("postgres bus - a listening connection gone silent without closing is noticed: it listens again, with a resync", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("bus_silent");
  const proxied = new URL(url);
  const proxy = silencingProxy(Number(proxied.port));
  proxied.port = String(proxy.port);
  const a = await recording(proxied.href, { instanceId: "a", deadlineMs: 500 });
  const b = await recording(url, { instanceId: "b" });
  try {
    await b.bus.publish({ kind: "room", room: "before" });
    await until(
      () => a.events.some((e) => e.kind === "room" && e.room === "before"),
      { what: "an event before" },
    );
    proxy.silenceListeners();
    await until(() => a.events.some((e) => e.kind === "resync"), {
      what: "a resync once the silence is noticed",
      ms: 15_000,
    });
    await until(() => a.bus.healthy(), { what: "healthy again" });
    await b.bus.publish({ kind: "room", room: "after" });
    await until(
      () => a.events.some((e) => e.kind === "room" && e.room === "after"),
      { what: "an event after" },
    );
  } finally {
    await a.bus.close();
    await b.bus.close();
    proxy.close();
  }
});
