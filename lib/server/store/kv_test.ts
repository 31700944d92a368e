import { expect } from "expect";
import { openKvStore } from "./kv.ts";
import { KvMembers } from "./kv_members.ts";

Deno.test("kv store - rooms stored before kinds existed read as public and are listed in the directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-kv-" });
  const path = `${dir}/chat.kv`;
  try {
    // A KV file as the previous version left it: rooms without a kind and
    // no directory index.
    const old = await Deno.openKv(path);
    for (const id of ["general", "dev", "random"]) {
      await old.set(["rooms", id], { id, createdBy: null, createdAt: 1 });
    }
    old.close();
    const store = await openKvStore({ path, historyLimit: 100 });
    try {
      expect(await store.room("dev")).toEqual({
        id: "dev",
        createdBy: null,
        createdAt: 1,
        kind: "public",
      });
      await store.createRoom("hidden", {}, { kind: "private" });
      expect(await store.publicRooms({ limit: 10 })).toEqual({
        rooms: ["dev", "general", "random"].map((id) => ({
          id,
          createdBy: null,
          createdAt: 1,
          kind: "public",
        })),
      });
    } finally {
      await store.close();
    }
    // The index is built once; a reopen finds it.
    const again = await openKvStore({ path, historyLimit: 100 });
    try {
      expect((await again.publicRooms({ limit: 2 })).next).toBe("general");
    } finally {
      await again.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kv store - a full membership batch of new members with read marks in 90 rooms is one commit, within KV's mutation limit", async () => {
  const kv = await Deno.openKv(":memory:");
  let commits = 0;
  let failed = 0;
  const counting = new Proxy(kv, {
    get(target, prop) {
      if (prop === "atomic") {
        return () => {
          const op = target.atomic();
          const commit = op.commit.bind(op);
          op.commit = () => {
            commits++;
            return commit().catch((error) => {
              failed++;
              throw error;
            });
          };
          return op;
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  try {
    const members = new KvMembers(counting);
    const rooms = Array.from({ length: 90 }, (_, i) => `busy-${i}`);
    // Exactly one batch's worth, pushed together.
    const answers = await Promise.all(
      Array.from(
        { length: 200 },
        (_, i) =>
          members.add(rooms[i % rooms.length], {
            key: `k${i}`,
            name: `Person ${i}`,
            guest: true,
            lastRead: 3,
          }),
      ),
    );
    expect(answers.every((a) => a)).toBe(true);
    expect({ commits, failed }).toEqual({ commits: 1, failed: 0 });
  } finally {
    kv.close();
  }
});

Deno.test("kv store - adds of fresh keys read no member keys; other adds in the same commit still do", async () => {
  const kv = await Deno.openKv(":memory:");
  const read: string[] = [];
  const counting = new Proxy(kv, {
    get(target, prop) {
      if (prop === "getMany") {
        return (keys: Deno.KvKey[]) => {
          read.push(...keys.map((k) => String(k[0])));
          return target.getMany(keys);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  try {
    const members = new KvMembers(counting);
    expect(await members.add("r", { key: "old", name: "old", guest: true }))
      .toBe(true);
    read.length = 0;
    const answers = await Promise.all([
      ...Array.from({ length: 30 }, (_, i) =>
        members.add("r", {
          key: `new${i}`,
          name: `new ${i}`,
          guest: true,
          lastRead: 0,
          fresh: true,
        })),
      members.add("r", { key: "old", name: "old", guest: true }),
    ]);
    expect(answers).toEqual([...Array(30).fill(true), false]);
    expect(read.filter((k) => k === "members")).toEqual(["members"]);
    expect(await members.count("r")).toBe(31);
  } finally {
    kv.close();
  }
});
