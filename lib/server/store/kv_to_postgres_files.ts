/**
 * Copies uploaded files from a Deno KV store into PostgreSQL, for
 * `copyKvToPostgres`: each file's record, its chunks and its share of its
 * owner's quota in one transaction, so an interrupted copy never leaves a
 * record without its bytes; a file PostgreSQL has already is skipped, so a
 * second run copies nothing.
 *
 * @module
 */
import type { PostgresStore } from "./postgres.ts";
import type { StoredFile } from "./files.ts";
import { unfinishedKey } from "./kv_files.ts";

/**
 * Copies every file of the KV database `db` into `pg`; returns how many
 * were read and how many were new.
 */
export async function copyFiles(
  db: Deno.Kv,
  pg: PostgresStore,
): Promise<{ read: number; copied: number }> {
  let read = 0, copied = 0;
  for await (const e of db.list<StoredFile>({ prefix: ["files"] })) {
    read++;
    const f = e.value;
    // A thumbnail still listed as unfinished is one no file has claimed.
    const claimed = f.purpose !== "thumbnail" ||
      (await db.get(unfinishedKey(f))).value === null;
    const chunks: { idx: number; data: Uint8Array }[] = [];
    for await (
      const c of db.list<Uint8Array>({ prefix: ["file_chunks", f.id] })
    ) {
      chunks.push({ idx: c.key[2] as number, data: c.value });
    }
    const fresh = await pg.sql.begin(async (tx) => {
      const rows = await tx`
        INSERT INTO files (id, room, owner, name, size, declared_type, purpose,
          thumbnail, received, created_at, complete, type, width, height,
          message, parent, also_in_room, claimed)
        VALUES (${f.id}, ${f.room}, ${f.owner}, ${f.name}, ${f.size},
          ${f.declaredType}, ${f.purpose}, ${f.thumbnail ?? null},
          ${f.received}, ${f.createdAt}, ${f.complete}, ${f.type ?? null},
          ${f.width ?? null}, ${f.height ?? null}, ${f.message ?? null},
          ${f.parent ?? null}, ${f.alsoInRoom ?? false}, ${claimed})
        ON CONFLICT (id) DO NOTHING RETURNING id`;
      if (rows.length === 0) return false;
      for (const c of chunks) {
        await tx`INSERT INTO file_chunks (file, idx, data)
          VALUES (${f.id}, ${c.idx}, ${c.data})`;
      }
      await tx`
        INSERT INTO file_usage AS u (owner, bytes) VALUES (${f.owner}, ${f.size})
        ON CONFLICT (owner) DO UPDATE SET bytes = u.bytes + excluded.bytes`;
      return true;
    });
    if (fresh) copied++;
  }
  return { read, copied };
}
