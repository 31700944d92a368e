/**
 * The files part of the storage contract: uploaded bytes live in the same
 * backend as messages, in chunks of {@link FILE_CHUNK_BYTES} (a Deno KV
 * value holds at most 64 KiB; PostgreSQL keeps `bytea` rows of the same
 * size), so every instance, on one host or several, serves every file
 * without a separate file store. Backends: `kv_files.ts`,
 * `postgres_files.ts`; contract tests: `files_test.ts`.
 *
 * @module
 */
import type { FileRef } from "@/lib/shared/protocol.ts";

/** Bytes per stored chunk: under Deno KV's 64 KiB value limit with room to spare. */
export const FILE_CHUNK_BYTES = 60 * 1024;

/** Bytes one {@link FileRecords.write} call stores at most (one commit). */
export const MAX_WRITE_BYTES = 8 * FILE_CHUNK_BYTES;

/** What a file is for: a file of its own, or another's thumbnail. */
export type FilePurpose = "file" | "thumbnail";

/** A file before any byte arrived. */
export interface FileDraft {
  /** Its id: random, URL-safe. */
  id: string;
  /** The room it is uploaded to. */
  room: string;
  /** Who uploads it: a member key (see `authorKey`). */
  owner: string;
  /** Its name as the uploader gave it (cleaned). */
  name: string;
  /** Its size in bytes, declared up front. */
  size: number;
  /** The type the uploader declared: a hint, never trusted. */
  declaredType: string;
  /** A file of its own, or a thumbnail of one. */
  purpose: FilePurpose;
  /** The id of its thumbnail (a complete `thumbnail` file). */
  thumbnail?: string;
  /** The thread it is posted to: the id of the thread's first message. */
  parent?: number;
  /** Whether, posted to a thread, it shows in the room's timeline too. */
  alsoInRoom?: boolean;
}

/** What sniffing found in a complete file's bytes. */
export interface FileFacts {
  /** The MIME type sniffed from the first bytes. */
  type: string;
  /** Pixels across, for a raster image. */
  width?: number;
  /** Pixels down, for a raster image. */
  height?: number;
}

/** A file as stored. */
export interface StoredFile extends FileDraft {
  /** Bytes stored so far (`size` once complete). */
  received: number;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Set once every byte arrived and sniffing accepted them. */
  complete: boolean;
  /** The sniffed type, once complete. */
  type?: string;
  /** Pixels across, for a raster image. */
  width?: number;
  /** Pixels down, for a raster image. */
  height?: number;
  /** The id of the message that posted it, once posted. */
  message?: number;
}

/** Why {@link FileRecords.create} refused a file naming a thumbnail. */
export class ThumbnailTakenError extends Error {
  /** Always `"ThumbnailTakenError"`. */
  override name = "ThumbnailTakenError";

  /** `thumbnail` is the id another file claimed first. */
  constructor(readonly thumbnail: string) {
    super(`Thumbnail ${thumbnail} belongs to another file`);
  }
}

/** Why {@link FileRecords.write} refused. */
export class FileWriteError extends Error {
  /** Always `"FileWriteError"`. */
  override name = "FileWriteError";

  /** `received` is how many bytes the file holds now. */
  constructor(message: string, readonly received: number) {
    super(message);
  }
}

/**
 * Uploaded files. A file's bytes are written in order, each write starting
 * where the stored bytes end, and each write is one commit: an upload cut
 * off midway keeps every committed byte and resumes from `received`.
 * Quotas count declared sizes from creation, so uploads running at once
 * can't together pass one.
 */
export interface FileRecords {
  /**
   * Stores a new, empty file unless its owner's files (declared sizes,
   * complete or not) would then pass `quotaBytes`; false when they would.
   * A file naming a `thumbnail` claims it in the same commit; one already
   * claimed (by another file, or stored before claims) throws
   * {@link ThumbnailTakenError}, so no thumbnail is two files'.
   */
  create(draft: FileDraft, quotaBytes: number): Promise<boolean>;
  /** One file, or null. */
  get(id: string): Promise<StoredFile | null>;
  /**
   * Appends `bytes` (at most {@link MAX_WRITE_BYTES}) at offset `at`, which
   * must be where the stored bytes end, in one commit; resolves to the new
   * `received`. Throws {@link FileWriteError} when `at` is elsewhere, the
   * bytes would pass the declared size, the file is complete, or it is gone.
   */
  write(id: string, at: number, bytes: Uint8Array): Promise<number>;
  /** Marks a fully received file complete with what sniffing found; null when not fully received. */
  complete(id: string, facts: FileFacts): Promise<StoredFile | null>;
  /** Records the message that posted the file. */
  posted(id: string, message: number): Promise<void>;
  /** The stored bytes `from` (inclusive) to `to` (exclusive), chunk by chunk. */
  read(id: string, from: number, to: number): AsyncIterable<Uint8Array>;
  /**
   * Removes a file and its bytes, freeing its size from the quota; false
   * when there was none. With `unfinished`, only while {@link unfinished}
   * would list it (still incomplete, or a thumbnail no file claimed): the
   * sweep can't take a thumbnail a file claimed since it looked.
   */
  delete(id: string, options?: { unfinished?: boolean }): Promise<boolean>;
  /** Removes every file of a room (the room is being deleted). */
  deleteRoom(room: string): Promise<void>;
  /** Bytes counted against `owner`'s quota. */
  usage(owner: string): Promise<number>;
  /**
   * Up to `limit` ids of files created before `before` (epoch ms) that are
   * still incomplete, or thumbnails no file has claimed yet (a file claims
   * its `thumbnail` as it is created): abandoned uploads, oldest first.
   */
  unfinished(before: number, limit: number): Promise<string[]>;
}

/** The stored files a message's `file` names: the file and its thumbnail. */
export function fileIdsOf(file: FileRef | null | undefined): string[] {
  if (!file) return [];
  return file.thumbnail ? [file.id, file.thumbnail] : [file.id];
}

/**
 * The chunks `bytes` written at `at` make, given the stored partial last
 * chunk `tail` (the bytes of chunk `floor(at / FILE_CHUNK_BYTES)` before
 * `at`): each as its index and full contents.
 */
export function chunksOf(
  at: number,
  tail: Uint8Array,
  bytes: Uint8Array,
): { index: number; data: Uint8Array }[] {
  const first = Math.floor(at / FILE_CHUNK_BYTES);
  const all = new Uint8Array(tail.length + bytes.length);
  all.set(tail);
  all.set(bytes, tail.length);
  const out: { index: number; data: Uint8Array }[] = [];
  for (let o = 0; o < all.length; o += FILE_CHUNK_BYTES) {
    out.push({
      index: first + o / FILE_CHUNK_BYTES,
      data: all.slice(o, o + FILE_CHUNK_BYTES),
    });
  }
  return out;
}

/** Throws unless `bytes` may be written at `at` of `file`. */
export function checkWrite(
  file: StoredFile | null,
  id: string,
  at: number,
  bytes: Uint8Array,
): asserts file is StoredFile {
  if (!file) throw new FileWriteError(`No such upload: ${id}`, 0);
  if (file.complete) {
    throw new FileWriteError("The upload is complete", file.received);
  }
  if (at !== file.received) {
    throw new FileWriteError(
      `Bytes from ${file.received} expected, not from ${at}`,
      file.received,
    );
  }
  if (bytes.length > MAX_WRITE_BYTES) {
    throw new RangeError(`At most ${MAX_WRITE_BYTES} bytes per write`);
  }
  if (at + bytes.length > file.size) {
    throw new FileWriteError(
      `The upload is ${file.size} bytes; these would end at ${
        at + bytes.length
      }`,
      file.received,
    );
  }
}
