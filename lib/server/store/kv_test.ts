import { expect } from "expect";
import { openKvStore } from "./kv.ts";

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
