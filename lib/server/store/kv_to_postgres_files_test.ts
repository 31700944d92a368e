import { expect } from "expect";
import { openKvStore } from "./kv.ts";
import { openPostgresStore } from "./postgres.ts";
import { copyKvToPostgres } from "./kv_to_postgres.ts";
import type { Store } from "./store.ts";
import { startPostgres } from "@/tests/helpers/postgres.ts";

async function bytesOf(store: Store, id: string, size: number) {
  const parts: number[] = [];
  for await (const p of store.files.read(id, 0, size)) parts.push(...p);
  return Uint8Array.from(parts);
}

Deno.test("migrate-kv-to-postgres - uploaded files move with their bytes, quotas and messages; a second run copies nothing", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("files");
  const dir = await Deno.makeTempDir({ prefix: "chat-migrate-files-" });
  try {
    const kv = await openKvStore({ path: `${dir}/chat.kv`, historyLimit: 100 });
    const data = Uint8Array.from({ length: 150_000 }, (_, i) => (i * 7) % 251);
    const owner = "account:mina";
    await kv.createRoom("dev");
    await kv.files.create({
      id: "f1",
      room: "dev",
      owner,
      name: "a.bin",
      size: data.length,
      declaredType: "",
      purpose: "file",
    }, 1e9);
    await kv.files.write("f1", 0, data.slice(0, 100_000));
    await kv.files.write("f1", 100_000, data.slice(100_000));
    await kv.files.complete("f1", { type: "application/octet-stream" });
    const file = {
      id: "f1",
      name: "a.bin",
      size: data.length,
      type: "application/octet-stream",
    };
    const { message } = await kv.append({
      room: "dev",
      user: "mina",
      text: "a.bin",
      clientId: "file:f1",
      file,
    });
    await kv.files.posted("f1", message.id);
    // An upload left halfway moves too, with the thread it goes to, and
    // resumes on PostgreSQL.
    await kv.files.create({
      id: "f2",
      room: "dev",
      owner,
      name: "b.txt",
      size: 10,
      declaredType: "text/plain",
      purpose: "file",
      parent: message.id,
      alsoInRoom: true,
    }, 1e9);
    await kv.files.write("f2", 0, new TextEncoder().encode("hello"));
    // A thumbnail no file has claimed stays due for the sweep.
    await kv.files.create({
      id: "t1",
      room: "dev",
      owner,
      name: "thumb.jpg",
      size: 3,
      declaredType: "image/jpeg",
      purpose: "thumbnail",
    }, 1e9);
    await kv.files.write("t1", 0, new Uint8Array([1, 2, 3]));
    await kv.files.complete("t1", { type: "image/jpeg" });
    const records = [await kv.files.get("f1"), await kv.files.get("f2")];

    const store = await openPostgresStore({
      url,
      poolSize: 2,
      historyLimit: 100,
    });
    try {
      const first = await copyKvToPostgres(kv, store);
      expect(first.files).toEqual({ read: 3, copied: 3 });
      expect([await store.files.get("f1"), await store.files.get("f2")])
        .toEqual(records);
      expect(await bytesOf(store, "f1", data.length)).toEqual(data);
      expect(await store.files.usage(owner)).toBe(data.length + 13);
      expect(await store.get("dev", message.id)).toMatchObject({ file });
      expect(
        (await store.files.unfinished(Date.now() + 86_400_000, 10)).sort(),
      ).toEqual(["f2", "t1"]);
      expect(
        await store.files.write("f2", 5, new TextEncoder().encode("world")),
      )
        .toBe(10);

      const second = await copyKvToPostgres(kv, store);
      expect(second.files).toEqual({ read: 3, copied: 0 });
      expect(await store.files.usage(owner)).toBe(data.length + 13);
    } finally {
      await store.close();
      await kv.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
