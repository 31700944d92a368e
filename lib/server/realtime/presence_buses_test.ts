/**
 * Presence across instances on the real buses: hubs on Redis, on a shared
 * KV file and on PostgreSQL, with clients on real WebSockets.
 */
import { expect } from "expect";
import { Hub } from "./hub.ts";
import type { Bus } from "@/lib/server/bus/bus.ts";
import { RedisBus } from "@/lib/server/bus/redis.ts";
import { KvBus } from "@/lib/server/bus/kv.ts";
import { PostgresBus } from "@/lib/server/bus/postgres.ts";
import { openKvStore } from "@/lib/server/store/kv.ts";
import { startRedis } from "@/tests/helpers/redis.ts";
import { startPostgres } from "@/tests/helpers/postgres.ts";
import { until } from "@/tests/helpers/until.ts";

/** An instance: a hub on `bus`, serving `/?name=…` on a real WebSocket. */
async function instance(bus: Bus, id: string) {
  const store = await openKvStore({ path: ":memory:", historyLimit: 10 });
  const hub = new Hub({
    store,
    bus,
    instanceId: id,
    slowClientBytes: 1 << 20,
    slowClientGraceMs: 5000,
    typingTtlMs: 5000,
    presenceBeatMs: 250,
    presenceTtlMs: 1500,
    presenceFlushMs: 200,
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => {
      const name = new URL(req.url).searchParams.get("name")!;
      const { socket, response } = Deno.upgradeWebSocket(req);
      socket.onopen = async () => {
        const c = hub.connect(
          socket,
          { name, guest: true },
          "v1",
          `k:${name}`,
          [
            "general",
          ],
        );
        socket.onclose = () => hub.disconnect(c);
        socket.onmessage = (e) => {
          hub.activity(c);
          const frame = JSON.parse(e.data);
          if (frame.type === "view") hub.view(c, frame.room);
        };
        await hub.subscribe(c, "general");
      };
      return response;
    },
  );
  const url = `ws://127.0.0.1:${server.addr.port}/`;
  return {
    hub,
    /** Opens a tab of `name`; resolves once it got `joined`. */
    async tab(name: string) {
      const ws = new WebSocket(`${url}?name=${name}`);
      const frames: Record<string, unknown>[] = [];
      ws.onmessage = (e) => frames.push(JSON.parse(e.data));
      await until(() => frames.some((f) => f.type === "joined"), {
        what: `${name}'s joined`,
      });
      const closed = new Promise((r) => ws.onclose = r);
      return {
        ws,
        frames,
        async close() {
          ws.close();
          await closed;
        },
      };
    },
    async close() {
      hub.close();
      await server.shutdown();
      await bus.close();
      await store.close();
    },
  };
}

/** Two tabs of one person on two instances, and a watcher viewing the room. */
async function twoTabsTwoInstances(
  a: Awaited<ReturnType<typeof instance>>,
  b: Awaited<ReturnType<typeof instance>>,
) {
  const watcher = await a.tab("watcher");
  watcher.ws.send(JSON.stringify({ type: "view", room: "general" }));
  const t1 = await a.tab("mina");
  const t2 = await b.tab("mina");
  for (const i of [a, b]) {
    await until(() => i.hub.onlineCount("general") === 2, {
      what: "watcher and mina online on both",
    });
    expect(i.hub.online("general").map((u) => u.name).sort()).toEqual([
      "mina",
      "watcher",
    ]);
    expect(i.hub.status("mina")).toBe("online");
  }
  await t1.close();
  // The other tab keeps mina online, everywhere.
  await until(() => a.hub.status("mina") === "online");
  await new Promise((r) => setTimeout(r, 400));
  for (const i of [a, b]) expect(i.hub.status("mina")).toBe("online");
  await t2.close();
  const closedAt = Date.now();
  for (const i of [a, b]) {
    await until(() => i.hub.status("mina") === "offline", {
      what: "mina offline",
    });
    expect(i.hub.onlineCount("general")).toBe(1);
  }
  expect(Date.now() - closedAt).toBeLessThan(5000);
  await until(() =>
    watcher.frames.some((f) =>
      f.type === "presence" &&
      (f.changes as { name: string; status: string }[]).some((c) =>
        c.name === "mina" && c.status === "offline"
      )
    ), { what: "the watcher told mina is offline" });
  await watcher.close();
}

Deno.test("presence on Redis - a person with a tab on each of two instances is one online member; closing both makes them offline within seconds", async () => {
  await using redis = await startRedis();
  const a = await instance(await RedisBus.connect(redis.url), "a");
  const b = await instance(await RedisBus.connect(redis.url), "b");
  try {
    await twoTabsTwoInstances(a, b);
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("presence on Redis - a killed instance's people go offline within seconds", async () => {
  await using redis = await startRedis();
  const a = await instance(await RedisBus.connect(redis.url), "a");
  const ghost = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", "-"],
    cwd: new URL("../../../", import.meta.url).pathname,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const script = `
      import { Hub } from "${new URL("./hub.ts", import.meta.url).href}";
      import { RedisBus } from "${
      new URL("../bus/redis.ts", import.meta.url).href
    }";
      import { openKvStore } from "${
      new URL("../store/kv.ts", import.meta.url).href
    }";
      const hub = new Hub({
        store: await openKvStore({ path: ":memory:", historyLimit: 10 }),
        bus: await RedisBus.connect(${JSON.stringify(redis.url)}),
        instanceId: "ghost", slowClientBytes: 1 << 20, slowClientGraceMs: 5000,
        typingTtlMs: 5000, presenceBeatMs: 250, presenceTtlMs: 1500,
      });
      const socket = { readyState: 1, bufferedAmount: 0, send() {}, close() {} };
      hub.connect(socket, { name: "zed", guest: true }, "v1", "k:zed", ["general"]);
      console.log("ready");
    `;
    const writer = ghost.stdin.getWriter();
    await writer.write(new TextEncoder().encode(script));
    await writer.close();
    const reader = ghost.stdout.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain("ready");
    reader.releaseLock();
    await until(() => a.hub.status("zed") === "online", { what: "zed on a" });
    // Well past one TTL: a live instance stays.
    await new Promise((r) => setTimeout(r, 2000));
    expect(a.hub.online("general")).toEqual([{ name: "zed", guest: true }]);
    ghost.kill("SIGKILL");
    await ghost.status;
    const killedAt = Date.now();
    await until(() => a.hub.status("zed") === "offline", {
      what: "zed gone",
      ms: 10_000,
    });
    expect(Date.now() - killedAt).toBeLessThan(5000);
    expect(a.hub.onlineCount("general")).toBe(0);
  } finally {
    try {
      ghost.kill("SIGKILL");
    } catch { /* killed already */ }
    await ghost.status;
    await ghost.stdout.cancel().catch(() => {});
    await a.close();
  }
});

Deno.test("presence on the KV bus - two tabs on two instances are one person; closing both makes them offline", async () => {
  const dir = await Deno.makeTempDir({ prefix: "presence-kv-" });
  const open = async () =>
    await KvBus.open(await Deno.openKv(`${dir}/bus.kv`), {
      pollMs: 100,
      ownsKv: true,
    });
  const a = await instance(await open(), "a");
  const b = await instance(await open(), "b");
  try {
    await twoTabsTwoInstances(a, b);
  } finally {
    await a.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("presence on the PostgreSQL bus - two tabs on two instances are one person; closing both makes them offline", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("presence");
  const a = await instance(await PostgresBus.connect(url), "a");
  const b = await instance(await PostgresBus.connect(url), "b");
  try {
    await twoTabsTwoInstances(a, b);
  } finally {
    await a.close();
    await b.close();
  }
});
