/**
 * Uploaded files in Deno KV.
 *
 * Keys:
 * - `["files", id]` → the {@link StoredFile} record
 * - `["file_chunks", id, index]` → up to `FILE_CHUNK_BYTES` bytes
 * - `["file_usage", owner]` → bytes counted against the owner's quota
 * - `["room_files", room, id]` → `true`, so deleting a room finds its files
 * - `["files_unfinished", createdAt, id]` → `true` while a file is incomplete,
 *   or a thumbnail no file has claimed
 *
 * A write checks the record's versionstamp and sets the chunks and the new
 * `received` in one atomic commit, so two writers of one file can't both
 * land, and a cut-off upload keeps exactly what was committed.
 *
 * @module
 */
import {
  checkWrite,
  chunksOf,
  FILE_CHUNK_BYTES,
  type FileDraft,
  type FileFacts,
  type FileRecords,
  FileWriteError,
  type StoredFile,
  ThumbnailTakenError,
} from "./files.ts";

const fileKey = (id: string) => ["files", id];
const chunkKey = (id: string, index: number) => ["file_chunks", id, index];
const usageKey = (owner: string) => ["file_usage", owner];
const roomFileKey = (room: string, id: string) => ["room_files", room, id];
/** The key listing `f` for the sweep of abandoned uploads. */
export const unfinishedKey = (f: StoredFile): Deno.KvKey => [
  "files_unfinished",
  f.createdAt,
  f.id,
];

/** Conflicting commits are retried this many times. */
const MAX_ATTEMPTS = 50;

/** {@link FileRecords} in Deno KV. */
export class KvFiles implements FileRecords {
  readonly #kv: Deno.Kv;
  readonly #now: () => number;

  /** Creates the records over `kv`. */
  constructor(kv: Deno.Kv, now: () => number = Date.now) {
    this.#kv = kv;
    this.#now = now;
  }

  async create(draft: FileDraft, quotaBytes: number): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const usage = await this.#kv.get<number>(usageKey(draft.owner));
      const used = usage.value ?? 0;
      if (used + draft.size > quotaBytes) return false;
      const file: StoredFile = {
        ...draft,
        received: 0,
        createdAt: this.#now(),
        complete: false,
      };
      const op = this.#kv.atomic()
        .check(usage)
        .check({ key: fileKey(draft.id), versionstamp: null })
        .set(usageKey(draft.owner), used + draft.size)
        .set(fileKey(draft.id), file)
        .set(roomFileKey(draft.room, draft.id), true)
        .set(unfinishedKey(file), true);
      if (draft.thumbnail !== undefined) {
        // Claimed: the sweep of abandoned uploads no longer lists it.
        const thumb = await this.#kv.get<StoredFile>(fileKey(draft.thumbnail));
        const listed = thumb.value
          ? await this.#kv.get(unfinishedKey(thumb.value))
          : null;
        if (!listed?.value) throw new ThumbnailTakenError(draft.thumbnail);
        op.check(thumb, listed).delete(listed.key);
      }
      const res = await op.commit();
      if (res.ok) return true;
      if ((await this.#kv.get(fileKey(draft.id))).value) {
        throw new Error(`A file ${draft.id} exists already`);
      }
    }
    throw new Error(`Store: creating file ${draft.id} kept conflicting`);
  }

  async get(id: string): Promise<StoredFile | null> {
    return (await this.#kv.get<StoredFile>(fileKey(id))).value;
  }

  async write(id: string, at: number, bytes: Uint8Array): Promise<number> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const entry = await this.#kv.get<StoredFile>(fileKey(id));
      checkWrite(entry.value, id, at, bytes);
      const file = entry.value;
      if (bytes.length === 0) return file.received;
      const partial = at % FILE_CHUNK_BYTES;
      const tail = partial === 0 ? new Uint8Array(0) : (await this.#kv.get<
        Uint8Array
      >(chunkKey(id, Math.floor(at / FILE_CHUNK_BYTES)))).value!.slice(
        0,
        partial,
      );
      const received = at + bytes.length;
      const op = this.#kv.atomic().check(entry)
        .set(fileKey(id), { ...file, received });
      for (const { index, data } of chunksOf(at, tail, bytes)) {
        op.set(chunkKey(id, index), data);
      }
      if ((await op.commit()).ok) return received;
    }
    throw new FileWriteError(
      "Another write to this upload is in progress",
      (await this.get(id))?.received ?? 0,
    );
  }

  async complete(id: string, facts: FileFacts): Promise<StoredFile | null> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const entry = await this.#kv.get<StoredFile>(fileKey(id));
      const file = entry.value;
      if (!file || file.received !== file.size) return null;
      if (file.complete) return file;
      const done: StoredFile = { ...file, ...facts, complete: true };
      if (facts.width === undefined) delete done.width;
      if (facts.height === undefined) delete done.height;
      const op = this.#kv.atomic().check(entry).set(entry.key, done);
      // A thumbnail stays listed until a file claims it.
      if (file.purpose !== "thumbnail") op.delete(unfinishedKey(file));
      const res = await op.commit();
      if (res.ok) return done;
    }
    throw new Error(`Store: completing file ${id} kept conflicting`);
  }

  async posted(id: string, message: number): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const entry = await this.#kv.get<StoredFile>(fileKey(id));
      if (!entry.value) return;
      const res = await this.#kv.atomic().check(entry)
        .set(entry.key, { ...entry.value, message }).commit();
      if (res.ok) return;
    }
    throw new Error(
      `Store: recording the message of file ${id} kept conflicting`,
    );
  }

  async *read(
    id: string,
    from: number,
    to: number,
  ): AsyncIterable<Uint8Array> {
    if (to <= from) return;
    const first = Math.floor(from / FILE_CHUNK_BYTES);
    const last = Math.floor((to - 1) / FILE_CHUNK_BYTES);
    const iter = this.#kv.list<Uint8Array>({
      start: chunkKey(id, first),
      end: chunkKey(id, last + 1),
    }, { batchSize: 16 });
    let expected = first;
    for await (const e of iter) {
      const index = e.key[2] as number;
      if (index !== expected) {
        throw new Error(`File ${id} lacks chunk ${expected}`);
      }
      expected++;
      const start = index * FILE_CHUNK_BYTES;
      yield e.value.subarray(
        Math.max(0, from - start),
        Math.min(e.value.length, to - start),
      );
    }
    if (expected !== last + 1) {
      throw new Error(`File ${id} lacks chunk ${expected}`);
    }
  }

  async delete(
    id: string,
    options: { unfinished?: boolean } = {},
  ): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const entry = await this.#kv.get<StoredFile>(fileKey(id));
      const file = entry.value;
      if (!file) return false;
      const listed = await this.#kv.get(unfinishedKey(file));
      if (options.unfinished && listed.value === null) return false;
      const usage = await this.#kv.get<number>(usageKey(file.owner));
      const left = Math.max(0, (usage.value ?? 0) - file.size);
      const op = this.#kv.atomic().check(entry, usage, listed)
        .delete(entry.key).delete(roomFileKey(file.room, id))
        .delete(unfinishedKey(file));
      if (left > 0) op.set(usage.key, left);
      else op.delete(usage.key);
      if (!(await op.commit()).ok) continue;
      // The record is gone, so nobody reads these chunks any more.
      await deleteChunks(this.#kv, id);
      return true;
    }
    throw new Error(`Store: deleting file ${id} kept conflicting`);
  }

  async deleteRoom(room: string): Promise<void> {
    for await (const e of this.#kv.list({ prefix: ["room_files", room] })) {
      await this.delete(String(e.key[2]));
    }
  }

  async usage(owner: string): Promise<number> {
    return (await this.#kv.get<number>(usageKey(owner))).value ?? 0;
  }

  async unfinished(before: number, limit: number): Promise<string[]> {
    const ids: string[] = [];
    const iter = this.#kv.list({
      start: ["files_unfinished"],
      end: ["files_unfinished", before],
    }, { limit });
    for await (const e of iter) ids.push(String(e.key[2]));
    return ids;
  }
}

async function deleteChunks(kv: Deno.Kv, id: string): Promise<void> {
  let op = kv.atomic();
  let n = 0;
  for await (const e of kv.list({ prefix: ["file_chunks", id] })) {
    op.delete(e.key);
    if (++n % 500 === 0) {
      await op.commit();
      op = kv.atomic();
    }
  }
  if (n % 500 !== 0) await op.commit();
}
