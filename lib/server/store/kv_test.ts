import { expect } from "expect";
import { openStore } from "./kv.ts";

Deno.test("store - ids are per room, strictly increasing, in call order", async () => {
  const store = await openStore({ path: ":memory:", historyLimit: 1000 });
  const sends = Array.from(
    { length: 25 },
    (_, i) =>
      store.append({ room: i % 2 ? "a" : "b", user: "u", text: `m${i}` }),
  );
  const results = await Promise.all(sends);
  const a = results.filter((r) => r.message.room === "a").map((r) =>
    r.message.id
  );
  const b = results.filter((r) => r.message.room === "b").map((r) =>
    r.message.id
  );
  expect(a).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  expect(b).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
  expect((await store.range("a", 0)).map((m) => m.text)).toEqual(
    results.filter((r) => r.message.room === "a").map((r) => r.message.text),
  );
  await store.close();
});

Deno.test("store - a resend with the same clientId returns the original", async () => {
  const store = await openStore({ path: ":memory:", historyLimit: 1000 });
  const first = await store.append({
    room: "r",
    user: "u",
    text: "hi",
    clientId: "c1",
  });
  const again = await store.append({
    room: "r",
    user: "u",
    text: "hi",
    clientId: "c1",
  });
  const sameBatch = await Promise.all([
    store.append({ room: "r", user: "u", text: "x", clientId: "c2" }),
    store.append({ room: "r", user: "u", text: "x", clientId: "c2" }),
  ]);
  const otherUser = await store.append({
    room: "r",
    user: "v",
    text: "hi",
    clientId: "c1",
  });
  expect(first.duplicate).toBe(false);
  expect(again).toEqual({ message: first.message, duplicate: true });
  expect(sameBatch[0].message.id).toBe(sameBatch[1].message.id);
  expect(sameBatch[1].duplicate).toBe(true);
  expect(otherUser.duplicate).toBe(false);
  expect((await store.range("r", 0)).length).toBe(3);
  await store.close();
});

Deno.test("store - two handles on one KV file never collide", async () => {
  const path = await Deno.makeTempFile({ suffix: ".kv" });
  const one = await openStore({ path, historyLimit: 1000 });
  const two = await openStore({ path, historyLimit: 1000 });
  const sends = Array.from(
    { length: 60 },
    (_, i) =>
      (i % 2 ? one : two).append({
        room: "r",
        user: `u${i % 2}`,
        text: `m${i}`,
      }),
  );
  const ids = (await Promise.all(sends)).map((r) => r.message.id).sort((x, y) =>
    x - y
  );
  expect(ids).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  await one.close();
  await two.close();
  await Deno.remove(path);
});

Deno.test("store - history pages oldest first and retention drops the oldest", async () => {
  const store = await openStore({ path: ":memory:", historyLimit: 150 });
  for (let i = 1; i <= 320; i++) {
    await store.append({ room: "r", user: "u", text: `m${i}` });
  }
  await new Promise((r) => setTimeout(r, 50));
  const latest = await store.history("r", 50);
  expect(latest.messages.map((m) => m.id)).toEqual(
    Array.from({ length: 50 }, (_, i) => 271 + i),
  );
  expect(latest.hasMore).toBe(true);
  const older = await store.history("r", 50, 271);
  expect(older.messages[49].id).toBe(270);
  const oldest = await store.oldestId("r");
  expect(oldest).toBeGreaterThan(1);
  expect(oldest).toBeLessThanOrEqual(171);
  expect(await store.lastId("r")).toBe(320);
  await store.close();
});

Deno.test("store - rooms are created once and counted per creator", async () => {
  const store = await openStore({ path: ":memory:", historyLimit: 10 });
  expect(await store.createRoom("dev", { owner: "mina", name: "mina" })).toBe(
    true,
  );
  expect(await store.createRoom("dev", { owner: "joon", name: "joon" })).toBe(
    false,
  );
  expect(await store.createRoom("guests", { name: "gus", from: "10.0.0.1" }))
    .toBe(true);
  expect(await store.roomsCreatedBy("mina")).toBe(1);
  expect(await store.roomsCreatedBy("gus")).toBe(1);
  expect(await store.roomsCreatedFrom("10.0.0.1")).toBe(1);
  // A guest's room has no owner: its name may pass to someone else.
  expect((await store.room("guests"))?.createdBy).toBe(null);
  expect((await store.rooms()).map((r) => r.id)).toEqual(["dev", "guests"]);
  await store.close();
});

Deno.test("store - one batch spans many rooms; a clientId repeats only within its room", async () => {
  const store = await openStore({ path: ":memory:", historyLimit: 1000 });
  // 120 sends over 60 rooms at once, each room's pair sharing a clientId
  // with every other room's pair.
  const sends = Array.from({ length: 120 }, (_, i) =>
    store.append({
      room: `r${i % 60}`,
      user: "u",
      text: `m${i}`,
      clientId: `c${Math.floor(i / 60)}`,
    }));
  const results = await Promise.all(sends);
  expect(results.every((r) => !r.duplicate)).toBe(true);
  for (let r = 0; r < 60; r++) {
    const ids = results.filter((x) => x.message.room === `r${r}`).map((x) =>
      x.message.id
    );
    expect(ids).toEqual([1, 2]);
  }
  // The same send again is the original, in whichever room it was.
  const again = await store.append({
    room: "r7",
    user: "u",
    text: "m67",
    clientId: "c1",
  });
  expect(again).toMatchObject({
    duplicate: true,
    message: { id: 2, room: "r7" },
  });
  await store.close();
});
