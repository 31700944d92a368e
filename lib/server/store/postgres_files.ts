/**
 * Uploaded files in PostgreSQL (tables of migration 9): a record in
 * `files`, the bytes in `file_chunks` as `bytea` rows of `FILE_CHUNK_BYTES`,
 * and each owner's declared bytes in `file_usage`. A write locks the file's
 * row, checks the offset, and stores its chunks and the new `received` in
 * one transaction; a quota check is one conditional upsert.
 *
 * @module
 */
import type { TransactionSql } from "postgres";
import type { Db } from "./postgres.ts";
import type { Guard } from "./postgres_records.ts";
import { begin } from "./cancellable.ts";
import {
  checkWrite,
  chunksOf,
  FILE_CHUNK_BYTES,
  type FileDraft,
  type FileFacts,
  type FilePurpose,
  type FileRecords,
  type StoredFile,
  ThumbnailTakenError,
} from "./files.ts";

interface FileRow {
  id: string;
  room: string;
  owner: string;
  name: string;
  size: number;
  declared_type: string;
  purpose: FilePurpose;
  thumbnail: string | null;
  received: number;
  created_at: number;
  complete: boolean;
  type: string | null;
  width: number | null;
  height: number | null;
  message: number | null;
  parent: number | null;
  also_in_room: boolean;
}

const toFile = (r: FileRow): StoredFile => {
  const f: StoredFile = {
    id: r.id,
    room: r.room,
    owner: r.owner,
    name: r.name,
    size: r.size,
    declaredType: r.declared_type,
    purpose: r.purpose,
    received: r.received,
    createdAt: r.created_at,
    complete: r.complete,
  };
  if (r.thumbnail !== null) f.thumbnail = r.thumbnail;
  if (r.type !== null) f.type = r.type;
  if (r.width !== null) f.width = r.width;
  if (r.height !== null) f.height = r.height;
  if (r.message !== null) f.message = r.message;
  if (r.parent !== null) f.parent = r.parent;
  if (r.also_in_room) f.alsoInRoom = true;
  return f;
};

/** {@link FileRecords} in PostgreSQL. */
export class PgFiles implements FileRecords {
  /** Creates the records over the pool. */
  constructor(
    readonly sql: Db,
    readonly guard: Guard,
    readonly now: () => number = Date.now,
  ) {}

  create(draft: FileDraft, quotaBytes: number): Promise<boolean> {
    return this.guard(begin(this.sql, async (tx) => {
      const usage = await tx`
        INSERT INTO file_usage AS u (owner, bytes)
        SELECT ${draft.owner}, ${draft.size}::bigint
        WHERE ${draft.size}::bigint <= ${quotaBytes}::bigint
        ON CONFLICT (owner) DO UPDATE SET bytes = u.bytes + excluded.bytes
          WHERE u.bytes + excluded.bytes <= ${quotaBytes}::bigint
        RETURNING bytes`;
      if (usage.length === 0) return false;
      await tx`
        INSERT INTO files (id, room, owner, name, size, declared_type, purpose,
          thumbnail, created_at, parent, also_in_room, claimed)
        VALUES (${draft.id}, ${draft.room}, ${draft.owner}, ${draft.name},
          ${draft.size}, ${draft.declaredType}, ${draft.purpose},
          ${draft.thumbnail ?? null}, ${this.now()}, ${draft.parent ?? null},
          ${draft.alsoInRoom ?? false}, ${draft.purpose !== "thumbnail"})`;
      if (draft.thumbnail !== undefined) {
        const claimed = await tx`
          UPDATE files SET claimed = true
          WHERE id = ${draft.thumbnail} AND NOT claimed RETURNING id`;
        if (claimed.length === 0) {
          throw new ThumbnailTakenError(draft.thumbnail);
        }
      }
      return true;
    }));
  }

  async get(id: string): Promise<StoredFile | null> {
    const rows = await this.guard(this.sql<FileRow[]>`
      SELECT * FROM files WHERE id = ${id}`);
    return rows[0] ? toFile(rows[0]) : null;
  }

  write(id: string, at: number, bytes: Uint8Array): Promise<number> {
    return this.guard(begin(this.sql, async (tx) => {
      const rows = await tx<FileRow[]>`
        SELECT * FROM files WHERE id = ${id} FOR UPDATE`;
      const file = rows[0] ? toFile(rows[0]) : null;
      checkWrite(file, id, at, bytes);
      if (bytes.length === 0) return file.received;
      const partial = at % FILE_CHUNK_BYTES;
      let tail = new Uint8Array(0);
      if (partial > 0) {
        const [chunk] = await tx<{ data: Uint8Array }[]>`
          SELECT data FROM file_chunks
          WHERE file = ${id} AND idx = ${Math.floor(at / FILE_CHUNK_BYTES)}`;
        tail = chunk.data.slice(0, partial);
      }
      for (const { index, data } of chunksOf(at, tail, bytes)) {
        await tx`
          INSERT INTO file_chunks (file, idx, data) VALUES (${id}, ${index},
            ${data})
          ON CONFLICT (file, idx) DO UPDATE SET data = excluded.data`;
      }
      const received = at + bytes.length;
      await tx`UPDATE files SET received = ${received} WHERE id = ${id}`;
      return received;
    }));
  }

  async complete(id: string, facts: FileFacts): Promise<StoredFile | null> {
    const rows = await this.guard(this.sql<FileRow[]>`
      UPDATE files SET complete = true, type = coalesce(type, ${facts.type}),
        width = CASE WHEN complete THEN width ELSE ${facts.width ?? null}::int
          END,
        height = CASE WHEN complete THEN height
          ELSE ${facts.height ?? null}::int END
      WHERE id = ${id} AND received = size
      RETURNING *`);
    return rows[0] ? toFile(rows[0]) : null;
  }

  async posted(id: string, message: number): Promise<void> {
    await this.guard(this.sql`
      UPDATE files SET message = ${message} WHERE id = ${id}`);
  }

  async *read(
    id: string,
    from: number,
    to: number,
  ): AsyncIterable<Uint8Array> {
    if (to <= from) return;
    const first = Math.floor(from / FILE_CHUNK_BYTES);
    const last = Math.floor((to - 1) / FILE_CHUNK_BYTES);
    // A few chunks per query: a large file never sits in memory whole.
    const step = 16;
    for (let lo = first; lo <= last; lo += step) {
      const hi = Math.min(last, lo + step - 1);
      const rows = await this.guard(
        this.sql<{ idx: number; data: Uint8Array }[]>`
        SELECT idx, data FROM file_chunks
        WHERE file = ${id} AND idx BETWEEN ${lo} AND ${hi} ORDER BY idx`,
      );
      if (rows.length !== hi - lo + 1) {
        throw new Error(`File ${id} lacks chunks between ${lo} and ${hi}`);
      }
      for (const { idx, data } of rows) {
        const start = idx * FILE_CHUNK_BYTES;
        yield data.subarray(
          Math.max(0, from - start),
          Math.min(data.length, to - start),
        );
      }
    }
  }

  delete(
    id: string,
    options: { unfinished?: boolean } = {},
  ): Promise<boolean> {
    const only = Boolean(options.unfinished);
    return this.guard(begin(this.sql, async (tx) => {
      const rows = await tx<{ owner: string; size: number }[]>`
        DELETE FROM files WHERE id = ${id}
          AND (NOT ${only} OR NOT complete OR NOT claimed)
        RETURNING owner, size`;
      if (rows.length === 0) return false;
      await releaseUsage(tx, rows);
      return true;
    }));
  }

  async deleteRoom(room: string): Promise<void> {
    await this.guard(begin(this.sql, async (tx) => {
      const rows = await tx<{ owner: string; size: number }[]>`
        DELETE FROM files WHERE room = ${room} RETURNING owner, size`;
      await releaseUsage(tx, rows);
    }));
  }

  async unfinished(before: number, limit: number): Promise<string[]> {
    const rows = await this.guard(this.sql<{ id: string }[]>`
      SELECT id FROM files
      WHERE (NOT complete OR NOT claimed) AND created_at < ${before}
      ORDER BY created_at LIMIT ${limit}`);
    return rows.map((r) => r.id);
  }

  async usage(owner: string): Promise<number> {
    const rows = await this.guard(this.sql<{ bytes: number }[]>`
      SELECT bytes FROM file_usage WHERE owner = ${owner}`);
    return rows[0]?.bytes ?? 0;
  }
}

/** Takes deleted files' sizes off their owners' usage. */
export async function releaseUsage(
  tx: Db | TransactionSql<Record<string, never>>,
  rows: { owner: string; size: number }[],
): Promise<void> {
  const by = new Map<string, number>();
  for (const r of rows) by.set(r.owner, (by.get(r.owner) ?? 0) + r.size);
  if (by.size === 0) return;
  await tx`
    UPDATE file_usage u SET bytes = greatest(0, u.bytes - d.bytes)
    FROM unnest(${[...by.keys()]}::text[], ${[...by.values()]}::bigint[])
      AS d(owner, bytes)
    WHERE u.owner = d.owner`;
}
