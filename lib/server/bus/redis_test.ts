import { expect } from "expect";
import { createClient } from "redis";
import { RedisBus, type RedisBusOptions } from "./redis.ts";
import type { BusEvent } from "./bus.ts";
import { startRedis } from "@/tests/helpers/redis.ts";
import { guestMessage } from "@/tests/helpers/fixtures.ts";
import { until } from "@/tests/helpers/until.ts";

/** Short timings so that expiry and reconnection happen within a test. */
const FAST: RedisBusOptions = { heartbeatMs: 100, presenceTtlMs: 400 };

const ann = { name: "ann", guest: false };
const bob = { name: "bob", guest: true };
const cy = { name: "cy", guest: false };

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
    await until(() => b.events.length >= 1, { what: "the valid event" });
    expect(a.events).toEqual([{ kind: "resync" }, { kind: "room", room: "r" }]);
    expect(b.events).toEqual([{ kind: "room", room: "r" }]);
  } finally {
    await raw.close();
    await a.bus.close();
    await b.bus.close();
  }
});

Deno.test("redis bus - presence is the union across instances, each user once", async () => {
  await using redis = await startRedis();
  const a = await recording(redis.url);
  const b = await recording(redis.url);
  try {
    await a.bus.setPresence("general", [bob, ann]);
    await b.bus.setPresence("general", [cy, ann]);
    await b.bus.setPresence("other", [cy]);
    for (const bus of [a.bus, b.bus]) {
      expect(await bus.presence("general")).toEqual([ann, bob, cy]);
      expect(await bus.presence("other")).toEqual([cy]);
      expect(await bus.presence("empty")).toEqual([]);
    }
    await until(
      () => a.events.filter((e) => e.kind === "presence").length === 3,
      { what: "presence events" },
    );
    expect(b.events).toEqual(a.events);
    expect(a.events).toContainEqual({ kind: "presence", room: "other" });

    await a.bus.setPresence("general", []);
    expect(await b.bus.presence("general")).toEqual([ann, cy]);
    await b.bus.setPresence("general", [cy]);
    expect(await a.bus.presence("general")).toEqual([cy]);
  } finally {
    await a.bus.close();
    await b.bus.close();
  }
});

Deno.test("redis bus - close removes the instance's presence and tells the others", async () => {
  await using redis = await startRedis();
  const a = await recording(redis.url);
  const b = await recording(redis.url, { instanceId: "b" });
  const raw = createClient({ url: redis.url });
  await raw.connect();
  try {
    await a.bus.setPresence("general", [ann]);
    await b.bus.setPresence("general", [bob]);
    await until(() => a.events.length === 2, { what: "b's presence event" });
    expect(await raw.hExists("chat:presence:general", "b")).toBe(1);
    await b.bus.close();
    expect(await raw.hExists("chat:presence:general", "b")).toBe(0);
    expect(await raw.exists("chat:instance:b:alive")).toBe(0);
    await until(() => a.events.length === 3, {
      what: "the presence event of b closing",
    });
    expect(a.events[2]).toEqual({ kind: "presence", room: "general" });
    expect(await a.bus.presence("general")).toEqual([ann]);
  } finally {
    await raw.close();
    await a.bus.close();
    await b.bus.close();
  }
});

Deno.test("redis bus - a killed instance's users leave presence after the TTL", async () => {
  await using redis = await startRedis();
  const a = await recording(redis.url);
  const raw = createClient({ url: redis.url });
  await raw.connect();
  const ghost = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "-"],
    cwd: new URL("../../../", import.meta.url).pathname,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const script = `
      import { RedisBus } from "${new URL("./redis.ts", import.meta.url).href}";
      const bus = await RedisBus.connect(${JSON.stringify(redis.url)}, {
        instanceId: "ghost", heartbeatMs: 100, presenceTtlMs: 400,
      });
      await bus.setPresence("general", [{ name: "zed", guest: true }]);
      console.log("ready");
      setInterval(() => {}, 1000);
    `;
    const writer = ghost.stdin.getWriter();
    await writer.write(new TextEncoder().encode(script));
    await writer.close();
    const reader = ghost.stdout.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain("ready");
    reader.releaseLock();

    await a.bus.setPresence("general", [ann]);
    // Well past one TTL: a live instance stays, because it heartbeats.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await a.bus.presence("general")).toEqual([ann, {
      name: "zed",
      guest: true,
    }]);

    expect(await raw.hExists("chat:presence:general", "ghost")).toBe(1);
    ghost.kill("SIGKILL");
    await ghost.status;
    await until(async () => (await a.bus.presence("general")).length === 1, {
      what: "the ghost's users to expire",
      ms: 3000,
    });
    expect(await a.bus.presence("general")).toEqual([ann]);
    // The dead instance's field is deleted, not only skipped.
    expect(Object.keys(await raw.hGetAll("chat:presence:general")))
      .toHaveLength(1);
    expect(await raw.hExists("chat:presence:general", "ghost")).toBe(0);
  } finally {
    try {
      ghost.kill("SIGKILL");
    } catch { /* killed already */ }
    await ghost.status;
    await ghost.stdout.cancel().catch(() => {});
    await raw.close();
    await a.bus.close();
  }
});

Deno.test("redis bus - after Redis restarts it emits resync and carries events again", async () => {
  await using redis = await startRedis();
  const a = await recording(redis.url);
  const b = await recording(redis.url);
  try {
    await a.bus.setPresence("general", [ann]);
    await b.bus.setPresence("general", [bob]);
    await redis.restart();
    await until(() =>
      a.events.some((e) => e.kind === "resync") &&
      b.events.some((e) => e.kind === "resync"), { what: "resync on both" });
    await until(async () => await a.bus.healthy() && await b.bus.healthy(), {
      what: "healthy again",
    });
    // The restarted Redis is empty: the heartbeats rewrite presence.
    await until(async () => (await a.bus.presence("general")).length === 2, {
      what: "presence rewritten",
    });
    expect(await b.bus.presence("general")).toEqual([ann, bob]);

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

Deno.test("redis bus - while Redis is down, publish resolves locally and the bus is unhealthy", async () => {
  await using redis = await startRedis();
  const a = await recording(redis.url);
  const b = await recording(redis.url);
  try {
    await a.bus.setPresence("general", [ann]);
    expect(await a.bus.healthy()).toBe(true);
    await redis.stop();
    await until(async () => !(await a.bus.healthy()), { what: "a unhealthy" });
    const before = a.events.length;

    await a.bus.publish({ kind: "room", room: "offline" });
    await a.bus.setPresence("general", [ann, cy]);
    expect(a.events.slice(before)).toEqual([
      { kind: "room", room: "offline" },
      { kind: "presence", room: "general" },
    ]);
    expect(await a.bus.presence("general")).toEqual([ann, cy]);
    expect(await b.bus.healthy()).toBe(false);

    // Come back, so that the clients stop retrying before the test ends.
    await redis.restart();
    await until(async () => await a.bus.healthy() && await b.bus.healthy(), {
      what: "healthy again",
    });
    await until(async () => (await b.bus.presence("general")).length === 2, {
      what: "a's offline change reaches b",
    });
  } finally {
    await a.bus.close();
    await b.bus.close();
  }
});

Deno.test("redis bus - connect rejects when Redis is unreachable", async () => {
  const redis = await startRedis();
  await redis.stop();
  await expect(RedisBus.connect(redis.url, { connectTimeoutMs: 300 }))
    .rejects.toThrow(/unreachable/);
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
