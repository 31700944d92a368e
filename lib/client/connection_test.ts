import { expect } from "expect";
import { loadConfig } from "@/lib/server/config.ts";
import { startServer } from "@/tests/helpers/server.ts";
import type { ChatMessage, ServerFrame } from "@/lib/shared/protocol.ts";
import { ChatConnection } from "./connection.ts";
import { authorKey } from "@/lib/server/chat/identity.ts";
import { until } from "@/tests/helpers/until.ts";
import { withServer } from "@/tests/helpers/server.ts";
import { MemoryStorage } from "@/tests/helpers/memory_storage.ts";

/** What people wrote, without the stored membership events. */
const written = (messages: ChatMessage[]) =>
  messages.flatMap((m) => m.event ? [] : [m.text]);

const config = (port: number, kv: string) =>
  loadConfig({
    PORT: String(port),
    HOSTNAME: "127.0.0.1",
    KV_PATH: kv,
    LOG_LEVEL: "fatal",
    SHUTDOWN_GRACE_MS: "100",
  });

Deno.test("connection - messages written offline are sent once, in order, after a restart; the gap is replayed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "connection_test_" });
  const kv = `${dir}/chat.kv`;
  let server = await startServer(config(0, kv));
  const port = server.port;
  const frames: ServerFrame[] = [];
  const storage = new MemoryStorage();
  const conn = new ChatConnection({
    url: `ws://127.0.0.1:${port}/ws`,
    name: "ana",
    storage,
    onFrame: (f) => frames.push(f),
    random: () => 0,
  });
  conn.join("general");
  conn.start();
  await until(() =>
    conn.state.value === "open" && frames.some((f) => f.type === "joined")
  );
  conn.send("general", "one");
  await until(() => conn.pending.value.length === 0);

  await server.shutdown();
  await until(() => conn.state.value === "reconnecting");
  conn.send("general", "two");
  conn.send("general", "three");
  expect(conn.pending.value.map((p) => p.text)).toEqual(["two", "three"]);
  // The outbox is in storage, so a reload would find it.
  expect(JSON.parse(storage.getItem("chat:outbox:ana")!).length).toBe(2);

  server = await startServer(config(port, kv));
  // Someone else wrote while we were away.
  await server.chat.store.append({
    room: "general",
    user: "ben",
    text: "while away",
    clientId: "b1",
  });
  await until(
    () => conn.state.value === "open" && conn.pending.value.length === 0,
    { ms: 10_000 },
  );
  await until(() => frames.filter((f) => f.type === "message").length >= 4);
  // (Ana's first visit also stored a membership event: not a message.)
  const texts = frames.flatMap((f) =>
    f.type === "message" && !f.event ? [f.text] : []
  );
  expect(texts).toEqual(["one", "while away", "two", "three"]);
  const history = await server.chat.store.history("general", 50);
  expect(written(history.messages)).toEqual([
    "one",
    "while away",
    "two",
    "three",
  ]);
  expect(storage.getItem("chat:outbox:ana")).toBe("[]");
  conn.stop();
  await server.shutdown();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("connection - a message the server refuses is marked failed and can be discarded", async () => {
  const server = await startServer(loadConfig({
    PORT: "0",
    HOSTNAME: "127.0.0.1",
    KV_PATH: ":memory:",
    LOG_LEVEL: "fatal",
    MAX_TEXT_BYTES: "10",
  }));
  const conn = new ChatConnection({
    url: `ws://127.0.0.1:${server.port}/ws`,
    name: "ana",
    storage: new MemoryStorage(),
  });
  conn.join("general");
  conn.start();
  await until(() => conn.state.value === "open");
  const p = conn.send("general", "far too long for the limit");
  await until(() => conn.pending.value[0]?.error !== undefined);
  expect(conn.pending.value[0]).toMatchObject({ clientId: p.clientId });
  conn.discard(p.clientId);
  expect(conn.pending.value).toEqual([]);
  conn.stop();
  await server.shutdown();
});

Deno.test("connection - joins refused over the join budget are asked again until every room is joined; their messages wait, then go", async () => {
  // More rooms than the join budget's burst (100): a member of all of
  // them reconnecting asks for each at once.
  const rooms = Array.from({ length: 130 }, (_, i) => `room-${i}`);
  const server = await startServer(loadConfig({
    PORT: "0",
    HOSTNAME: "127.0.0.1",
    KV_PATH: ":memory:",
    LOG_LEVEL: "fatal",
    CHAT_ROOMS: rooms.join(","),
  }));
  const frames: ServerFrame[] = [];
  const conn = new ChatConnection({
    url: `ws://127.0.0.1:${server.port}/ws`,
    name: "ana",
    storage: new MemoryStorage(),
    onFrame: (f) => frames.push(f),
  });
  for (const room of rooms) conn.join(room);
  conn.start();
  await until(() => conn.state.value === "open");
  const last = rooms.at(-1)!;
  conn.send(last, "after the refusals");
  const joined = () =>
    new Set(frames.flatMap((f) => f.type === "joined" ? [f.room] : []));
  await until(() => joined().size === rooms.length, {
    what: "every room joined",
    ms: 10_000,
    detail: () => `${joined().size} joined`,
  });
  expect(frames.some((f) => f.type === "error" && f.code === "rate_limited"))
    .toBe(true);
  await until(() => conn.pending.value.length === 0, { what: "the ack" });
  const stored = await server.chat.store.history(last, 10);
  expect(written(stored.messages)).toEqual(["after the refusals"]);
  conn.stop();
  await server.shutdown();
});

Deno.test("connection - over the rate limit, messages wait and still arrive in the order written", async () => {
  const server = await startServer(loadConfig({
    PORT: "0",
    HOSTNAME: "127.0.0.1",
    KV_PATH: ":memory:",
    LOG_LEVEL: "fatal",
    RATE_PER_SECOND: "4",
    RATE_BURST: "3",
  }));
  const conn = new ChatConnection({
    url: `ws://127.0.0.1:${server.port}/ws`,
    name: "ana",
    storage: new MemoryStorage(),
  });
  conn.join("general", 0);
  conn.start();
  const texts = Array.from({ length: 8 }, (_, i) => `line ${i}`);
  for (const t of texts) conn.send("general", t);
  await until(() => conn.pending.value.length === 0, { ms: 15_000 });
  const history = await server.chat.store.history("general", 50);
  expect(written(history.messages)).toEqual(texts);
  conn.stop();
  await server.shutdown();
});

Deno.test("connection - a guest given a variant of its name keeps that variant across reconnects and reloads", async () => {
  await withServer({}, async (server) => {
    const url = `ws://127.0.0.1:${server.port}/ws`;
    const holder = new WebSocket(`${url}?name=ana`);
    await new Promise((r) => holder.onmessage = r);
    const storage = new MemoryStorage();
    const names: string[] = [];
    const open = () => {
      const c = new ChatConnection({
        url,
        name: "ana",
        storage,
        onFrame: (f) => f.type === "welcome" && names.push(f.user.name),
        random: () => 0,
      });
      c.start();
      return c;
    };
    const first = open();
    await until(() => names.length === 1);
    // A second tab of the same guest (a reload overlaps like this).
    const second = open();
    await until(() => names.length === 2);
    first.stop();
    second.stop();
    // And after both closed.
    const third = open();
    await until(() => names.length === 3);
    third.stop();
    expect(names).toEqual(["ana-2", "ana-2", "ana-2"]);
    holder.close();
  });
});

Deno.test("connection - after a restart it rejoins only the rooms welcome still lists, and shows the same room again", async () => {
  const dir = await Deno.makeTempDir({ prefix: "connection_test_" });
  const kv = `${dir}/chat.kv`;
  let server = await startServer(config(0, kv));
  const port = server.port;
  const frames: ServerFrame[] = [];
  const storage = new MemoryStorage();
  const conn = new ChatConnection({
    url: `ws://127.0.0.1:${port}/ws`,
    name: "ana",
    storage,
    onFrame: (f) => frames.push(f),
    random: () => 0,
  });
  conn.join("general");
  conn.join("random");
  conn.view("general");
  conn.start();
  await until(() => frames.filter((f) => f.type === "joined").length === 2);
  // Ana's membership of random ends where this page can't hear of it
  // (as if another tab left it while this one was offline).
  const key = authorKey({
    name: "ana",
    guest: true,
    token: storage.getItem("chat:token:ana") ?? "",
  })!;
  expect(await server.chat.store.members.remove("random", key)).toBe(true);
  const members = async (room: string) =>
    (await server.chat.store.members.list(room, { limit: 10 })).members
      .map((m) => m.name);
  await server.shutdown();
  await until(() => conn.state.value === "reconnecting");
  frames.length = 0;
  server = await startServer(config(port, kv));
  await until(() => frames.some((f) => f.type === "joined"), { ms: 15_000 });
  // Shown again: presence of general comes (hub.view sends a snapshot).
  await until(() =>
    frames.some((f) => f.type === "presence" && f.room === "general")
  );
  expect(frames.filter((f) => f.type === "joined").map((f) => f.room))
    .toEqual(["general"]);
  // Rejoining random would have made ana a member again.
  expect(await members("random")).not.toContain("ana");
  conn.stop();
  await server.shutdown();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("connection - messages two tabs wrote offline are all sent after a restart, each once, though the tab they were written in closed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "connection_test_" });
  const kv = `${dir}/chat.kv`;
  let server = await startServer(config(0, kv));
  const port = server.port;
  // Two tabs of one guest: one localStorage, so one token and one outbox.
  const storage = new MemoryStorage();
  const tab = () => {
    const joined = new Set<string>();
    const c = new ChatConnection({
      url: `ws://127.0.0.1:${port}/ws`,
      name: "ana",
      storage,
      onFrame: (f) => f.type === "joined" && joined.add(f.room),
      random: () => 0,
    });
    c.join("general");
    c.join("random");
    c.start();
    return { c, joined };
  };
  const one = tab();
  await until(() => one.joined.size === 2);
  const two = tab();
  await until(() => two.joined.size === 2);
  await server.shutdown();
  await until(() =>
    one.c.state.value === "reconnecting" &&
    two.c.state.value === "reconnecting"
  );
  one.c.send("general", "one: first");
  two.c.send("general", "two: only");
  one.c.send("general", "one: second");
  // Written in the closed tab alone: the open tab never listed it.
  one.c.send("random", "one: in random");
  one.c.stop();

  server = await startServer(config(port, kv));
  await until(
    () => two.c.state.value === "open" && two.c.pending.value.length === 0,
    { ms: 10_000, detail: () => JSON.stringify(two.c.pending.value) },
  );
  const general = await server.chat.store.history("general", 50);
  expect(written(general.messages)).toEqual([
    "one: first",
    "two: only",
    "one: second",
  ]);
  const random = await server.chat.store.history("random", 50);
  expect(written(random.messages)).toEqual(["one: in random"]);
  expect(storage.getItem("chat:outbox:ana")).toBe("[]");
  two.c.stop();
  await server.shutdown();
  await Deno.remove(dir, { recursive: true });
});
