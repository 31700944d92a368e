import { expect } from "expect";
import { createClient } from "redis";
import { RedisBus, type RedisBusOptions } from "./redis.ts";
import type { BusEvent } from "./bus.ts";
import { StartError } from "@/lib/server/start_error.ts";
import type { Logger } from "@/lib/server/log.ts";
import { startRedis } from "@/tests/helpers/redis.ts";
import { guestMessage, presenceEvents } from "@/tests/helpers/fixtures.ts";
import { until } from "@/tests/helpers/until.ts";
import { type ProxyLink, tcpProxy } from "@/tests/helpers/tcp_proxy.ts";

/** Short timings so that expiry and reconnection happen within a test. */
const FAST: RedisBusOptions = { heartbeatMs: 100, presenceTtlMs: 400 };

/** A bus whose received events are kept in order. */
async function recording(url: string, options: RedisBusOptions = {}) {
  const bus = await RedisBus.connect(url, { ...FAST, ...options });
  const events: BusEvent[] = [];
  bus.subscribe((e) => events.push(e));
  return { bus, events };
}

Deno.test("redis bus - two instances see each other's events and their own", async () => {
  await using redis = await startRedis();
  const a = await recording(redis.url, { instanceId: "a" });
  const b = await recording(redis.url, { instanceId: "b" });
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
  } finally {
    await a.bus.close();
    await b.bus.close();
  }
});

Deno.test("redis bus - resync is local and malformed channel payloads are ignored", async () => {
  await using redis = await startRedis();
  const a = await recording(redis.url);
  const b = await recording(redis.url);
  const raw = createClient({ url: redis.url });
  await raw.connect();
  try {
    await a.bus.publish({ kind: "resync" });
    await raw.publish("chat:events", "not json");
    await raw.publish("chat:events", JSON.stringify({ kind: "resync" }));
    await raw.publish(
      "chat:events",
      JSON.stringify({ kind: "kick", room: "r" }),
    );
    await raw.publish(
      "chat:events",
      JSON.stringify({ kind: "room", room: "r" }),
    );
    // Each subscriber gets it in its own time: wait for both.
    await until(() => b.events.length >= 1 && a.events.length >= 2, {
      what: "the valid event on both",
    });
    expect(a.events).toEqual([{ kind: "resync" }, { kind: "room", room: "r" }]);
    expect(b.events).toEqual([{ kind: "room", room: "r" }]);
  } finally {
    await raw.close();
    await a.bus.close();
    await b.bus.close();
  }
});

Deno.test("redis bus - after Redis restarts it emits resync and carries events again", async () => {
  await using redis = await startRedis();
  const a = await recording(redis.url);
  const b = await recording(redis.url);
  try {
    await redis.restart();
    await until(() =>
      a.events.some((e) => e.kind === "resync") &&
      b.events.some((e) => e.kind === "resync"), { what: "resync on both" });
    await until(async () => await a.bus.healthy() && await b.bus.healthy(), {
      what: "healthy again",
    });
    const count = b.events.length;
    await a.bus.publish({ kind: "room", room: "after" });
    await until(() => b.events.slice(count).some((e) => e.kind === "room"), {
      what: "the event after the restart",
    });
  } finally {
    await a.bus.close();
    await b.bus.close();
  }
});

Deno.test("redis bus - a subscriber connection gone silent without closing is noticed: it connects again, with a resync", async () => {
  await using redis = await startRedis();
  let subscriber: ProxyLink | undefined;
  const proxy = tcpProxy(redis.port, (chunk, link) => {
    if (/subscribe/i.test(new TextDecoder().decode(chunk))) subscriber = link;
    return "forward";
  });
  const a = await recording(`redis://127.0.0.1:${proxy.port}`, {
    commandTimeoutMs: 300,
  });
  const b = await recording(redis.url);
  try {
    await b.bus.publish({ kind: "room", room: "before" });
    await until(
      () => a.events.some((e) => e.kind === "room" && e.room === "before"),
      { what: "an event before" },
    );
    subscriber!.silence();
    await until(() => a.events.some((e) => e.kind === "resync"), {
      what: "a resync once the silence is noticed",
      ms: 10_000,
    });
    await b.bus.publish({ kind: "room", room: "after" });
    await until(
      () => a.events.some((e) => e.kind === "room" && e.room === "after"),
      { what: "an event after" },
    );
    expect(
      a.events.filter((e) => e.kind === "room" && e.room === "after").length,
    ).toBe(1);
  } finally {
    await a.bus.close();
    await b.bus.close();
    proxy.close();
  }
});

Deno.test("redis bus - while Redis is down, publish resolves locally and the bus is unhealthy", async () => {
  await using redis = await startRedis();
  const a = await recording(redis.url);
  const b = await recording(redis.url);
  try {
    expect(await a.bus.healthy()).toBe(true);
    await redis.stop();
    await until(async () => !(await a.bus.healthy()), { what: "a unhealthy" });
    const before = a.events.length;

    await a.bus.publish({ kind: "room", room: "offline" });
    await a.bus.publish(presenceEvents[0]);
    expect(a.events.slice(before)).toEqual([
      { kind: "room", room: "offline" },
      presenceEvents[0],
    ]);
    expect(await b.bus.healthy()).toBe(false);

    // Come back, so that the clients stop retrying before the test ends.
    await redis.restart();
    await until(async () => await a.bus.healthy() && await b.bus.healthy(), {
      what: "healthy again",
    });
    const seen = b.events.length;
    await a.bus.publish({ kind: "room", room: "back" });
    await until(() => b.events.length > seen, { what: "an event after" });
  } finally {
    await a.bus.close();
    await b.bus.close();
  }
});

Deno.test("redis bus - connect rejects when Redis is unreachable", async () => {
  const redis = await startRedis();
  await redis.stop();
  const error = await RedisBus.connect(redis.url, { connectTimeoutMs: 300 })
    .catch((e) => e);
  // One line for the operator, naming the setting: serve.ts exits with 2.
  expect(error).toBeInstanceOf(StartError);
  expect(error.message).toMatch(/^REDIS_URL: Redis at .* is unreachable: /);
  expect(error.message).not.toContain("\n");
});

Deno.test("redis bus - a guest's message reaches another instance with every field", async () => {
  await using redis = await startRedis();
  const a = await recording(redis.url, { instanceId: "a" });
  const b = await recording(redis.url, { instanceId: "b" });
  try {
    const message = guestMessage;
    await a.bus.publish({ kind: "message", message });
    await until(() => b.events.length > 0, { what: "the message on b" });
    expect(b.events).toEqual([{ kind: "message", message }]);
  } finally {
    await a.bus.close();
    await b.bus.close();
  }
});

Deno.test("redis bus - presence, membership and member frames reach another instance with every field", async () => {
  await using redis = await startRedis();
  const a = await recording(redis.url, { instanceId: "a" });
  const b = await recording(redis.url, { instanceId: "b" });
  try {
    for (const e of presenceEvents) await a.bus.publish(e);
    await until(() => b.events.length >= presenceEvents.length, {
      what: "every event on b",
    });
    expect(b.events).toEqual(presenceEvents);
  } finally {
    await a.bus.close();
    await b.bus.close();
  }
});

Deno.test("redis bus - while Redis is down, failed publishes are logged once per outage, not once per event", async () => {
  await using redis = await startRedis();
  const warnings: string[] = [];
  const log = {
    warn: (message: string) => warnings.push(message),
    info: () => {},
    error: () => {},
    debug: () => {},
  } as unknown as Logger;
  const a = await recording(redis.url, { logger: log });
  try {
    await redis.stop();
    await until(async () => !(await a.bus.healthy()), { what: "a unhealthy" });
    for (let n = 0; n < 20; n++) {
      await a.bus.publish({ kind: "room", room: `offline-${n}` });
    }
    const published = () => warnings.filter((w) => w.includes("publishing"));
    expect(published()).toHaveLength(1);
    // Back, and down again: a new outage, a new line.
    await redis.restart();
    await until(async () => await a.bus.healthy(), { what: "healthy again" });
    await redis.stop();
    await until(async () => !(await a.bus.healthy()), { what: "down again" });
    for (let n = 0; n < 5; n++) {
      await a.bus.publish({ kind: "room", room: `again-${n}` });
    }
    expect(published()).toHaveLength(2);
    await redis.restart();
    await until(async () => await a.bus.healthy(), { what: "healthy" });
  } finally {
    await a.bus.close();
  }
});

Deno.test("redis bus - instances with another KV file are refused at connect, and one found after Redis was emptied makes the bus unhealthy", async () => {
  await using redis = await startRedis();
  const a = await RedisBus.connect(redis.url, { ...FAST, storeId: "file-1" });
  try {
    await expect(
      RedisBus.connect(redis.url, { ...FAST, storeId: "file-2" }),
    ).rejects.toThrow(StartError);
    // Another on the same file is welcome.
    const same = await RedisBus.connect(redis.url, {
      ...FAST,
      storeId: "file-1",
    });
    await same.close();
    // Redis emptied, and another file comes first: a notices at its next
    // heartbeat, and stops saying it is healthy.
    const admin = createClient({ url: redis.url });
    await admin.connect();
    await admin.flushAll();
    await admin.set("chat:kv_file", "file-2");
    await until(async () => !(await a.healthy()), { what: "a unhealthy" });
    // The other gone (its record expired or removed): healthy again.
    await admin.del("chat:kv_file");
    await until(() => a.healthy(), { what: "a healthy again" });
    await admin.close();
  } finally {
    await a.close();
  }
});
