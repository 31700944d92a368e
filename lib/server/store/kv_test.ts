import { expect } from "expect";
import { openKvStore } from "./kv.ts";
import { KvMembers, KvReads } from "./kv_members.ts";

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

/** `kv` with every entry its `list` calls yield counted in `listed`. */
function countingLists(kv: Deno.Kv, listed: { n: number }): Deno.Kv {
  return new Proxy(kv, {
    get(target, prop) {
      if (prop === "list") {
        return async function* (
          selector: Deno.KvListSelector,
          options?: Deno.KvListOptions,
        ) {
          for await (const e of target.list(selector, options)) {
            listed.n++;
            yield e;
          }
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

Deno.test("kv store - retention reads only the mentions of the messages it removes, however many the room keeps", async () => {
  const kv = await Deno.openKv(":memory:");
  const listed = { n: 0 };
  try {
    const reads = new KvReads(countingLists(kv, listed));
    // An @here of 2,000 in a message retention keeps, three mentions in
    // two messages it removes.
    const everyone = Array.from({ length: 2000 }, (_, i) => `g:${i}`);
    await reads.mention("big", 150, everyone);
    await reads.mention("big", 5, ["g:1", "g:2"]);
    await reads.mention("big", 7, ["g:3"]);
    await reads.mention("other", 5, ["g:1"]);
    listed.n = 0;
    await reads.prune("big", 100);
    expect(listed.n).toBe(3);
    expect(await reads.mentionsAfter("g:1", "big", 0)).toBe(1);
    expect(await reads.mentionsAfter("g:3", "big", 0)).toBe(1);
    expect(await reads.mentionsAfter("g:1", "other", 0)).toBe(1);
    // Both keys of each removed mention went, and only those.
    const left = async (prefix: Deno.KvKey) => {
      let n = 0;
      for await (const _ of kv.list({ prefix })) n++;
      return n;
    };
    expect(await left(["mentions", "big"])).toBe(2000);
    expect(await left(["mention_ids", "big"])).toBe(2000);
  } finally {
    kv.close();
  }
});

Deno.test("kv store - mentions stored before they were indexed by message are indexed once at start, and retention removes them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-kv-" });
  const path = `${dir}/chat.kv`;
  try {
    // A KV file as the previous version left it: mentions without an index.
    const old = await Deno.openKv(path);
    for (const [key, id] of [["ana", 3], ["ben", 3], ["ana", 120]] as const) {
      await old.set(["mentions", "general", key, id], true);
    }
    old.close();
    const store = await openKvStore({ path, historyLimit: 100 });
    try {
      await store.reads.prune("general", 100);
      expect(await store.reads.mentionsAfter("ana", "general", 0)).toBe(1);
      expect(await store.reads.mentionsAfter("ben", "general", 0)).toBe(0);
    } finally {
      await store.close();
    }
    // Indexed once: a mention written behind the index's back now stays
    // unindexed, so a reopen that indexed again would let retention drop it.
    const kv = await Deno.openKv(path);
    await kv.set(["mentions", "general", "cy", 4], true);
    kv.close();
    const again = await openKvStore({ path, historyLimit: 100 });
    try {
      await again.reads.prune("general", 100);
      expect(await again.reads.mentionsAfter("cy", "general", 0)).toBe(1);
    } finally {
      await again.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kv store - a room deletion cut short by a stop is finished at the next start, and only then is its id free", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-kv-" });
  const path = `${dir}/chat.kv`;
  try {
    // A KV file as a stop in the middle of a purge left it: the room's
    // entry gone, some messages and a member still there, the mark set.
    const old = await Deno.openKv(path);
    await old.set(["rooms_deleting", "gone"], true);
    await old.set(["msg", "gone", 7], { id: 7, room: "gone", text: "left" });
    await old.set(["members", "gone", "account:ana"], { name: "ana" });
    old.close();
    const store = await openKvStore({ path, historyLimit: 100 });
    try {
      expect(await store.range("gone", 0)).toEqual([]);
      expect(await store.createRoom("gone", { owner: "zed" })).toBe(true);
      const raw = await Deno.openKv(path);
      const left = await Array.fromAsync(
        raw.list({ prefix: ["members", "gone"] }),
      );
      raw.close();
      expect(left).toEqual([]);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
