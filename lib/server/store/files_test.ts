/**
 * The files part of the storage contract, run against both backends: a Deno
 * KV file and a real PostgreSQL server started for the run.
 */
import { expect } from "expect";
import { openKvStore } from "./kv.ts";
import { openPostgresStore } from "./postgres.ts";
import type { Store } from "./store.ts";
import {
  FILE_CHUNK_BYTES,
  type FileDraft,
  FileWriteError,
  MAX_WRITE_BYTES,
  ThumbnailTakenError,
} from "./files.ts";
import { startPostgres } from "@/tests/helpers/postgres.ts";

/** Somewhere a store can be opened, and opened again (a restart). */
interface Place {
  open(historyLimit?: number): Promise<Store>;
  remove(): Promise<void>;
}

interface Backend {
  name: string;
  setUp(): Promise<{ place(): Promise<Place>; tearDown(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: "kv",
    setUp: () =>
      Promise.resolve({
        async place() {
          const dir = await Deno.makeTempDir({ prefix: "chat-files-" });
          return {
            open: (historyLimit = 1000) =>
              openKvStore({ path: `${dir}/chat.kv`, historyLimit }),
            remove: () => Deno.remove(dir, { recursive: true }),
          };
        },
        tearDown: () => Promise.resolve(),
      }),
  },
  {
    name: "postgres",
    async setUp() {
      const pg = await startPostgres();
      let n = 0;
      return {
        async place() {
          const url = await pg.createDatabase(`files_${++n}`);
          return {
            open: (historyLimit = 1000) =>
              openPostgresStore({ url, poolSize: 4, historyLimit }),
            remove: () => Promise.resolve(),
          };
        },
        tearDown: () => pg[Symbol.asyncDispose](),
      };
    },
  },
];

const draft = (over: Partial<FileDraft> = {}): FileDraft => ({
  id: crypto.randomUUID(),
  room: "general",
  owner: "account:ana",
  name: "notes.txt",
  size: 10,
  declaredType: "text/plain",
  purpose: "file",
  ...over,
});

/** Deterministic bytes, different at every offset within a chunk or two. */
function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}

async function readAll(
  store: Store,
  id: string,
  from: number,
  to: number,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of store.files.read(id, from, to)) parts.push(p);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function using(place: Place, fn: (s: Store) => Promise<void>) {
  const store = await place.open();
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

type Case = [string, (place: Place) => Promise<void>];

const cases: Case[] = [
  [
    "retention drops old messages' files and thumbnails, freeing the quota",
    async (place) => {
      const store = await place.open(10);
      try {
        const file = draft({ name: "a.png", size: 4 });
        const thumb = draft({ size: 3, purpose: "thumbnail" });
        const kept = draft({ size: 5 });
        for (const d of [file, thumb, kept]) {
          expect(await store.files.create(d, 100)).toBe(true);
          await store.files.write(d.id, 0, bytes(d.size));
          await store.files.complete(d.id, { type: "image/png" });
        }
        expect(await store.files.usage("account:ana")).toBe(12);
        await store.append({
          room: "general",
          user: "ana",
          text: "a.png",
          file: {
            id: file.id,
            name: "a.png",
            size: 4,
            type: "image/png",
            thumbnail: thumb.id,
          },
        });
        // Pruning runs at each hundred messages.
        for (let i = 0; i < 110; i++) {
          await store.append({ room: "general", user: "ana", text: `m${i}` });
        }
        // Retention runs after the commit; wait until it has.
        const deadline = Date.now() + 10_000;
        // Files go one after another: wait for the last of them.
        while (
          await store.files.get(file.id) || await store.files.get(thumb.id)
        ) {
          if (Date.now() > deadline) throw new Error("retention kept a file");
          await new Promise((r) => setTimeout(r, 20));
        }
        expect(await store.files.get(kept.id)).not.toBe(null);
        expect(await store.files.usage("account:ana")).toBe(5);
      } finally {
        await store.close();
      }
    },
  ],
  [
    "a thumbnail is listed with unfinished uploads until a file claims it; a complete file is not listed",
    (place) =>
      using(place, async (store) => {
        const later = Date.now() + 60_000;
        const thumb = draft({ size: 3, purpose: "thumbnail" });
        const orphan = draft({ size: 3, purpose: "thumbnail" });
        const done = draft({ size: 4 });
        for (const d of [thumb, orphan, done]) {
          expect(await store.files.create(d, 1000)).toBe(true);
          await store.files.write(d.id, 0, bytes(d.size));
          await store.files.complete(d.id, { type: "image/png" });
        }
        expect((await store.files.unfinished(later, 10)).sort()).toEqual(
          [thumb.id, orphan.id].sort(),
        );
        const file = draft({ size: 5, thumbnail: thumb.id });
        expect(await store.files.create(file, 1000)).toBe(true);
        // No thumbnail is two files': a second claim is refused, whole.
        const usage = await store.files.usage("account:ana");
        const again = draft({ size: 6, thumbnail: thumb.id });
        await expect(store.files.create(again, 1000)).rejects.toThrow(
          ThumbnailTakenError,
        );
        expect(await store.files.get(again.id)).toBe(null);
        expect(await store.files.usage("account:ana")).toBe(usage);
        expect((await store.files.unfinished(later, 10)).sort()).toEqual(
          [orphan.id, file.id].sort(),
        );
        await store.files.write(file.id, 0, bytes(file.size));
        await store.files.complete(file.id, { type: "image/png" });
        expect(await store.files.unfinished(later, 10)).toEqual([orphan.id]);
        // The sweep's delete takes only what is still unfinished: not a
        // thumbnail claimed since it looked, nor a file completed since.
        const sweep = { unfinished: true };
        expect(await store.files.delete(thumb.id, sweep)).toBe(false);
        expect(await store.files.delete(file.id, sweep)).toBe(false);
        expect(await store.files.delete(done.id, sweep)).toBe(false);
        expect(await store.files.get(thumb.id)).not.toBe(null);
        expect(await store.files.delete(orphan.id, sweep)).toBe(true);
        expect(await store.files.unfinished(later, 10)).toEqual([]);
      }),
  ],
  [
    "a file for a thread keeps its thread and whether it shows in the room, complete and posted, across a restart",
    async (place) => {
      const inThread = draft({ parent: 7 });
      const inBoth = draft({ parent: 7, alsoInRoom: true });
      const plain = draft();
      const first = await place.open();
      try {
        for (const d of [inThread, inBoth, plain]) {
          expect(await first.files.create(d, 100)).toBe(true);
          await first.files.write(d.id, 0, bytes(d.size));
          await first.files.complete(d.id, { type: "text/plain" });
          await first.files.posted(d.id, 9);
        }
      } finally {
        await first.close();
      }
      await using(place, async (store) => {
        const got = await store.files.get(inThread.id);
        expect(got).toMatchObject({ parent: 7, complete: true, message: 9 });
        expect(got?.alsoInRoom).toBeUndefined();
        expect(await store.files.get(inBoth.id)).toMatchObject({
          parent: 7,
          alsoInRoom: true,
        });
        const other = await store.files.get(plain.id);
        expect(other?.parent).toBeUndefined();
        expect(other?.alsoInRoom).toBeUndefined();
      });
    },
  ],
  [
    "bytes written in uneven pieces across chunks read back equal, whole or in part",
    (place) =>
      using(place, async (store) => {
        const size = 3 * FILE_CHUNK_BYTES + 12_345;
        const data = bytes(size);
        const d = draft({ size });
        expect(await store.files.create(d, 10 * size)).toBe(true);
        // Pieces ending mid-chunk make later writes complete a partial chunk.
        const cuts = [
          0,
          1,
          1000,
          FILE_CHUNK_BYTES + 7,
          2 * FILE_CHUNK_BYTES,
          size,
        ];
        for (let i = 1; i < cuts.length; i++) {
          const received = await store.files.write(
            d.id,
            cuts[i - 1],
            data.slice(cuts[i - 1], cuts[i]),
          );
          expect(received).toBe(cuts[i]);
        }
        expect(await store.files.get(d.id)).toMatchObject({
          received: size,
          complete: false,
          owner: "account:ana",
          room: "general",
          name: "notes.txt",
          purpose: "file",
        });
        expect(await readAll(store, d.id, 0, size)).toEqual(data);
        const from = FILE_CHUNK_BYTES - 5, to = 2 * FILE_CHUNK_BYTES + 9;
        expect(await readAll(store, d.id, from, to)).toEqual(
          data.slice(from, to),
        );
        expect(await readAll(store, d.id, 5, 5)).toEqual(new Uint8Array(0));
      }),
  ],
  [
    "a write elsewhere than the end, past the size or after completion is refused and stores nothing",
    (place) =>
      using(place, async (store) => {
        const d = draft({ size: 10 });
        await store.files.create(d, 100);
        await store.files.write(d.id, 0, bytes(4));
        for (const [at, n] of [[0, 2], [6, 2], [4, 7]]) {
          const error = await store.files.write(d.id, at, bytes(n)).catch((
            e,
          ) => e);
          expect(error).toBeInstanceOf(FileWriteError);
          expect(error.received).toBe(4);
        }
        await expect(
          store.files.write(d.id, 4, new Uint8Array(MAX_WRITE_BYTES + 1)),
        ).rejects.toThrow(RangeError);
        await expect(store.files.write("nope", 0, bytes(1))).rejects.toThrow(
          FileWriteError,
        );
        expect(await store.files.complete(d.id, { type: "text/plain" })).toBe(
          null,
        );
        await store.files.write(d.id, 4, bytes(6, 2));
        const done = await store.files.complete(d.id, {
          type: "image/png",
          width: 3,
          height: 2,
        });
        expect(done).toMatchObject({
          complete: true,
          type: "image/png",
          width: 3,
          height: 2,
          received: 10,
        });
        await expect(store.files.write(d.id, 10, new Uint8Array(0))).rejects
          .toThrow(FileWriteError);
        await store.files.posted(d.id, 42);
        expect((await store.files.get(d.id))?.message).toBe(42);
      }),
  ],
  [
    "two writers at one offset: one lands, the other is told where the bytes end",
    (place) =>
      using(place, async (store) => {
        const d = draft({ size: 2 * FILE_CHUNK_BYTES });
        await store.files.create(d, d.size);
        const results = await Promise.allSettled([
          store.files.write(d.id, 0, bytes(FILE_CHUNK_BYTES, 1)),
          store.files.write(d.id, 0, bytes(FILE_CHUNK_BYTES, 2)),
        ]);
        const ok = results.filter((r) => r.status === "fulfilled");
        expect(ok.length).toBe(1);
        const refused = results.find((r) => r.status === "rejected");
        expect(refused?.status === "rejected" && refused.reason).toBeInstanceOf(
          FileWriteError,
        );
        expect((await store.files.get(d.id))?.received).toBe(FILE_CHUNK_BYTES);
      }),
  ],
  [
    "the quota counts declared sizes from creation; deleting frees them",
    (place) =>
      using(place, async (store) => {
        const a = draft({ size: 600 });
        const b = draft({ size: 500 });
        expect(await store.files.create(a, 1000)).toBe(true);
        expect(await store.files.create(b, 1000)).toBe(false);
        expect(await store.files.get(b.id)).toBe(null);
        expect(
          await store.files.create(
            draft({ owner: "guest:x", size: 900 }),
            1000,
          ),
        )
          .toBe(true);
        expect(await store.files.usage("account:ana")).toBe(600);
        // Uploads started at once can't pass the quota together.
        const racing = await Promise.all(
          Array.from(
            { length: 6 },
            () => store.files.create(draft({ size: 100 }), 1000),
          ),
        );
        expect(racing.filter(Boolean).length).toBe(4);
        expect(await store.files.usage("account:ana")).toBe(1000);
        await store.files.write(a.id, 0, bytes(600));
        expect(await store.files.delete(a.id)).toBe(true);
        expect(await store.files.delete(a.id)).toBe(false);
        expect(await store.files.get(a.id)).toBe(null);
        expect(await readAll(store, a.id, 0, 0)).toEqual(new Uint8Array(0));
        expect(await store.files.usage("account:ana")).toBe(400);
        expect(await store.files.create(b, 1000)).toBe(true);
      }),
  ],
  [
    "unfinished files are found by age until they complete or go",
    (place) =>
      using(place, async (store) => {
        const a = draft({ size: 4 }), b = draft({ size: 4 });
        await store.files.create(a, 100);
        await store.files.create(b, 100);
        const later = Date.now() + 1000;
        expect((await store.files.unfinished(later, 10)).sort()).toEqual(
          [a.id, b.id].sort(),
        );
        expect(await store.files.unfinished(later, 1)).toHaveLength(1);
        const createdAt = (await store.files.get(a.id))!.createdAt;
        expect(await store.files.unfinished(createdAt - 1, 10)).toEqual([]);
        await store.files.write(a.id, 0, bytes(4));
        await store.files.complete(a.id, { type: "text/plain" });
        await store.files.delete(b.id);
        expect(await store.files.unfinished(later, 10)).toEqual([]);
      }),
  ],
  [
    "files and their bytes survive a restart; deleting the room removes them and frees the quota",
    async (place) => {
      const d = draft({ size: FILE_CHUNK_BYTES + 10, room: "gone" });
      const data = bytes(d.size, 3);
      await using(place, async (store) => {
        await store.createRoom("gone");
        await store.files.create(d, 1_000_000);
        await store.files.write(d.id, 0, data);
        await store.files.complete(d.id, { type: "application/zip" });
      });
      await using(place, async (store) => {
        expect(await store.files.get(d.id)).toMatchObject({
          complete: true,
          type: "application/zip",
        });
        expect(await readAll(store, d.id, 0, d.size)).toEqual(data);
        expect(await store.files.usage(d.owner)).toBe(d.size);
        expect(await store.deleteRoom("gone")).toBe(true);
        expect(await store.files.get(d.id)).toBe(null);
        expect(await store.files.usage(d.owner)).toBe(0);
      });
    },
  ],
  [
    "a message's file is stored with it and read back with it",
    (place) =>
      using(place, async (store) => {
        const file = {
          id: "f1",
          name: "cat.png",
          size: 1234,
          type: "image/png",
          width: 64,
          height: 48,
          thumbnail: "t1",
        };
        const { message } = await store.append({
          room: "r",
          user: "ana",
          text: "cat.png",
          clientId: "file:f1",
          file,
        });
        expect(message).toMatchObject({ id: 1, file });
        expect(await store.get("r", 1)).toMatchObject({ file });
        expect((await store.range("r", 0))[0].file).toEqual(file);
        expect((await store.history("r", 5)).messages[0].file).toEqual(file);
        const again = await store.append({
          room: "r",
          user: "ana",
          text: "cat.png",
          clientId: "file:f1",
          file,
        });
        expect(again).toMatchObject({
          duplicate: true,
          message: { id: 1, file },
        });
        // A deleted message refers to its file no more.
        const gone = await store.update("r", 1, { text: "", deleted: true });
        expect(gone?.file).toBeUndefined();
        expect((await store.get("r", 1))?.file).toBeUndefined();
      }),
  ],
];

for (const backend of backends) {
  Deno.test(`files contract (${backend.name})`, async (t) => {
    const env = await backend.setUp();
    try {
      for (const [name, fn] of cases) {
        await t.step(`files - ${name}`, async () => {
          const place = await env.place();
          try {
            await fn(place);
          } finally {
            await place.remove();
          }
        });
      }
    } finally {
      await env.tearDown();
    }
  });
}
