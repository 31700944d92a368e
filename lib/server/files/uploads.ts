/**
 * The rules of uploads: who may upload where, how large, how a file's bytes
 * arrive (resumably, in ordered pieces), what they must turn out to be, and
 * who may download them. An upload is created with its name, size and
 * declared type; its bytes arrive by `PUT`s each committed as it goes, so a
 * dropped connection loses nothing that was acknowledged and the upload
 * resumes where the stored bytes end; the last byte sniffs the file, and a
 * file (not a thumbnail) is then posted to its room as a message.
 *
 * @module
 */
import { HttpError } from "fresh";
import type { Config } from "@/lib/server/config.ts";
import {
  type ChatMessage,
  type FileRef,
  MAX_FILE_ID_LENGTH,
} from "@/lib/shared/protocol.ts";
import { cleanText, withoutBidi } from "@/lib/shared/text.ts";
import type { Store } from "@/lib/server/store/store.ts";
import {
  type FilePurpose,
  FileWriteError,
  MAX_WRITE_BYTES,
  type StoredFile,
  ThumbnailTakenError,
} from "@/lib/server/store/files.ts";
import { RASTER_IMAGES, sniff, SNIFF_BYTES } from "./sniff.ts";
import { AddressBudget } from "./address_budget.ts";
import type { ContentRange } from "./ranges.ts";
import { ChatError } from "@/lib/server/chat/chat_error.ts";
import { authorKey, isGuestToken } from "@/lib/server/chat/identity.ts";
import { tooLarge } from "@/lib/shared/file_size.ts";

/** The largest thumbnail accepted, in bytes. */
export const MAX_THUMBNAIL_BYTES = 256 * 1024;
/** The largest thumbnail accepted, in pixels either way. */
export const MAX_THUMBNAIL_PIXELS = 1024;
/** An upload left unfinished this long is removed, freeing its quota. */
export const UNFINISHED_UPLOAD_TTL_MS = 24 * 60 * 60 * 1000;
/** The longest file name kept, in characters. */
const MAX_NAME_LENGTH = 255;

/** Who is uploading or downloading. */
export interface Uploader {
  /** The member key (see `authorKey`). */
  key: string;
  /** The account's name, for an account. */
  account?: string;
  /** The guest token, for a guest. */
  token?: string;
}

/**
 * Who a request comes from: an account by its session, else a guest by the
 * token in its `X-Guest-Token` header (or, for downloads, `cookieToken`: the
 * guest cookie, which `<img>` requests carry); undefined for neither.
 */
export function uploaderOf(
  user: { name: string } | undefined,
  headers: Headers,
  cookieToken?: string,
): Uploader | undefined {
  if (user) {
    return {
      key: authorKey({ name: user.name, guest: false })!,
      account: user.name,
    };
  }
  const token = headers.get("x-guest-token") ??
    (isGuestToken(cookieToken) ? cookieToken : undefined);
  if (!token) return undefined;
  return { key: authorKey({ name: "", guest: true, token })!, token };
}

/** What creating an upload asks for. */
export interface NewUpload {
  /** The file's name. */
  name: string;
  /** Its size in bytes. */
  size: number;
  /** The type the browser says it has (a hint only). */
  type: string;
  /** A file of its own (default) or a thumbnail for one. */
  purpose?: FilePurpose;
  /** The id of its thumbnail, uploaded first. */
  thumbnail?: string;
  /** Posted to a thread: the id of the thread's first message. */
  parent?: number;
  /** Posted to a thread, shown in the room's timeline too. */
  alsoInRoom?: boolean;
}

/** How far an upload is, as the API reports it. */
export interface UploadStatus {
  /** The upload's id (the file's id once complete). */
  id: string;
  /** Its name. */
  name: string;
  /** Its declared size. */
  size: number;
  /** Bytes stored so far. */
  received: number;
  /** Whether every byte arrived and the file was accepted. */
  complete: boolean;
  /** The file as messages refer to it, once complete. */
  file?: FileRef;
  /** The message that posted it, once posted. */
  message?: ChatMessage;
}

/** What uploads need from the chat. */
export interface UploadsOptions {
  /** Limits. */
  config: Pick<
    Config,
    "maxUploadBytes" | "uploadQuotaBytes" | "uploadIdleMs"
  >;
  /** Where files live. */
  store: Store;
  /** Whether `key` may read `room` (it exists; public, or `key` is a member). */
  mayRead(room: string, key: string): Promise<boolean>;
  /** Whether `key` is a member of `room`. */
  isMember(room: string, key: string): Promise<boolean>;
  /** Whether `room` is public. */
  isPublic(room: string): Promise<boolean>;
  /**
   * Throws a `ChatError` unless message `parent` of `room` takes replies
   * (the first message of a thread, or one that may start one).
   */
  checkParent(room: string, parent: number): Promise<void>;
  /**
   * Posts `file` to `room` as `who`'s message (a reply, with `reply`),
   * idempotent by `clientId`; resolves once stored.
   */
  post(
    who: Uploader,
    room: string,
    file: FileRef,
    clientId: string,
    reply?: { parent: number; alsoInRoom?: boolean },
  ): Promise<ChatMessage>;
  /** New file ids; random by default. */
  newId?: () => string;
}

/** A file ready to be served. */
export interface Download {
  /** The stored file (complete). */
  file: StoredFile;
  /** Whether its room is public. */
  publicRoom: boolean;
  /** Its bytes `from` (inclusive) to `to` (exclusive), chunk by chunk. */
  read(from: number, to: number): AsyncIterable<Uint8Array>;
}

/** Uploads and downloads, over the store's files. */
export class Uploads {
  readonly #o: UploadsOptions;
  readonly #newId: () => string;
  readonly #guestBudget: AddressBudget;

  /** Creates the rules over `options.store`. */
  constructor(options: UploadsOptions) {
    this.#o = options;
    this.#newId = options.newId ?? randomFileId;
    this.#guestBudget = new AddressBudget(options.config.uploadQuotaBytes);
  }

  /**
   * Starts an upload to `room` by a member of it, from client `address`.
   * Throws 404 when `who` can't see the room, 403 when it can but is no
   * member, 400 for a bad name, size or thumbnail, 413 over
   * `MAX_UPLOAD_BYTES` or the quota, 429 when guests at `address` started
   * `UPLOAD_QUOTA_BYTES` within the hour.
   */
  async create(
    who: Uploader,
    room: string,
    upload: NewUpload,
    address?: string,
  ): Promise<StoredFile> {
    await this.#checkMember(who, room);
    const purpose = upload.purpose ?? "file";
    const name = cleanName(upload.name);
    const { size } = upload;
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new HttpError(
        400,
        "Bad size: an empty file can't be uploaded (at least 1 byte)",
      );
    }
    const limit = purpose === "thumbnail"
      ? Math.min(MAX_THUMBNAIL_BYTES, this.#o.config.maxUploadBytes)
      : this.#o.config.maxUploadBytes;
    if (size > limit) {
      throw new HttpError(
        413,
        `File too large: ${tooLarge(size, limit)}${
          purpose === "thumbnail" ? " for a thumbnail" : ""
        }`,
      );
    }
    if (upload.thumbnail !== undefined) {
      if (purpose === "thumbnail") {
        throw new HttpError(400, "Bad thumbnail: a thumbnail has none");
      }
      await this.#checkThumbnail(who, room, upload.thumbnail);
    }
    await this.#checkReply(room, purpose, upload);
    const draft = {
      id: this.#newId(),
      room,
      owner: who.key,
      name,
      size,
      declaredType: upload.type.slice(0, 100),
      purpose,
      ...(upload.thumbnail ? { thumbnail: upload.thumbnail } : {}),
      ...(upload.parent !== undefined ? { parent: upload.parent } : {}),
      ...(upload.alsoInRoom ? { alsoInRoom: true } : {}),
    };
    // Guests share one budget per address: tokens cost nothing to mint.
    const budgeted = who.token && address !== undefined ? address : undefined;
    if (budgeted !== undefined) {
      const waitMs = this.#guestBudget.take(budgeted, size);
      if (waitMs > 0) {
        throw new HttpError(
          429,
          `Guest upload limit: guests at this address may start ${this.#o.config.uploadQuotaBytes} bytes an hour; try again in ${
            Math.ceil(waitMs / 60_000)
          } min, or log in`,
        );
      }
    }
    const created = await this.#o.store.files.create(
      draft,
      this.#o.config.uploadQuotaBytes,
    ).catch((error) => {
      if (budgeted !== undefined) this.#guestBudget.refund(budgeted, size);
      if (error instanceof ThumbnailTakenError) {
        throw new HttpError(
          400,
          `Bad thumbnail: ${error.thumbnail} belongs to another file`,
        );
      }
      throw error;
    });
    if (!created) {
      if (budgeted !== undefined) this.#guestBudget.refund(budgeted, size);
      const used = await this.#o.store.files.usage(who.key);
      throw new HttpError(
        413,
        `Upload quota exceeded: ${used} of ${this.#o.config.uploadQuotaBytes} bytes used, this file needs ${size}`,
      );
    }
    return (await this.#o.store.files.get(draft.id))!;
  }

  /** How far `who`'s upload `id` is; 404 for anyone else's. */
  async status(who: Uploader, id: string): Promise<UploadStatus> {
    const file = await this.#own(who, id);
    return await this.#status(file);
  }

  /**
   * Stores the bytes of `body` at `range` of `who`'s upload `id`, one
   * commit per {@link MAX_WRITE_BYTES}, and finishes the upload when the
   * last byte arrives. Bytes already stored are skipped (a resend after a
   * lost answer); a range starting past the stored bytes is a 409. When the
   * body breaks off, what arrived is kept and the error passed on.
   */
  async write(
    who: Uploader,
    id: string,
    range: ContentRange,
    body: ReadableStream<Uint8Array> | null,
  ): Promise<UploadStatus> {
    let file = await this.#own(who, id);
    if (range.total !== undefined && range.total !== file.size) {
      throw new HttpError(
        400,
        `Bad range: the upload is ${file.size} bytes, not ${range.total}`,
      );
    }
    if (range.end >= file.size) {
      throw new HttpError(
        400,
        `Bad range: the upload is ${file.size} bytes, the range ends at byte ${range.end}`,
      );
    }
    if (!file.complete) {
      if (range.start > file.received) {
        throw new HttpError(
          409,
          `Bytes from ${file.received} expected, not from ${range.start}: ask HEAD for the offset`,
        );
      }
      await this.#store(file, range, body);
      file = (await this.#o.store.files.get(id))!;
    }
    // A complete upload's body is left unread, not cancelled: cancelling a
    // node request's web stream makes its adapter throw on the next data.
    if (file.received === file.size) file = await this.#finish(who, file);
    return await this.#status(file);
  }

  /**
   * Cancels `who`'s incomplete upload, freeing its quota; 404 for anyone
   * else's, 409 once complete (its message may be being posted).
   */
  async cancel(who: Uploader, id: string): Promise<void> {
    const file = await this.#own(who, id);
    if (file.complete) {
      throw new HttpError(409, "The upload is complete; delete its message");
    }
    await this.#remove(file);
  }

  /**
   * Removes uploads left unfinished for {@link UNFINISHED_UPLOAD_TTL_MS}
   * before `now` (abandoned tabs), freeing their quota; returns how many.
   */
  async expire(now: number = Date.now()): Promise<number> {
    let removed = 0;
    for (;;) {
      const ids = await this.#o.store.files.unfinished(
        now - UNFINISHED_UPLOAD_TTL_MS,
        100,
      );
      for (const id of ids) {
        const file = await this.#file(id);
        if (file && await this.#remove(file, { unfinished: true })) removed++;
      }
      if (ids.length < 100) return removed;
    }
  }

  /**
   * The complete file `id` if `key` may read its room; 404 otherwise, as
   * if it did not exist.
   */
  async download(key: string | undefined, id: string): Promise<Download> {
    const file = await this.#file(id);
    if (
      !file || !file.complete ||
      !(await this.#mayRead(file.room, key))
    ) {
      throw new HttpError(404, `No such file: ${id}`);
    }
    return {
      file,
      publicRoom: await this.#o.isPublic(file.room),
      read: (from, to) => this.#o.store.files.read(file.id, from, to),
    };
  }

  async #mayRead(room: string, key: string | undefined): Promise<boolean> {
    return key !== undefined
      ? await this.#o.mayRead(room, key)
      : await this.#o.isPublic(room);
  }

  async #checkMember(who: Uploader, room: string): Promise<void> {
    if (!(await this.#o.mayRead(room, who.key))) {
      throw new HttpError(404, `No such room: ${room}`);
    }
    if (!(await this.#o.isMember(room, who.key))) {
      throw new HttpError(403, `Join ${room} to upload to it`);
    }
  }

  async #checkThumbnail(who: Uploader, room: string, id: string) {
    const thumb = await this.#file(id);
    if (
      !thumb || thumb.owner !== who.key || thumb.room !== room ||
      thumb.purpose !== "thumbnail"
    ) {
      throw new HttpError(
        400,
        `Bad thumbnail: no thumbnail ${id} of yours in ${room}`,
      );
    }
    if (!thumb.complete) {
      throw new HttpError(400, `Bad thumbnail: ${id} is not fully uploaded`);
    }
  }

  /** Throws 400 or 404 unless `upload`'s thread fields are right. */
  async #checkReply(room: string, purpose: FilePurpose, upload: NewUpload) {
    if (upload.parent === undefined) {
      if (upload.alsoInRoom !== undefined) {
        throw new HttpError(
          400,
          "Bad alsoInRoom: only a file posted to a thread (with parent) goes to the room too",
        );
      }
      return;
    }
    if (purpose === "thumbnail") {
      throw new HttpError(
        400,
        "Bad parent: a thumbnail is posted with its file",
      );
    }
    await this.#o.checkParent(room, upload.parent).catch((error) => {
      if (!(error instanceof ChatError)) throw error;
      throw error.code === "not_found"
        ? new HttpError(404, error.message)
        : error.code === "unavailable"
        ? new HttpError(503, "The store is unavailable; try again")
        : new HttpError(400, `Bad parent: ${error.message}`);
    });
  }

  /**
   * Removes an upload never posted and, when it names one, its thumbnail
   * (claimed by it alone); true when the upload was there to remove. With
   * `unfinished`, only while it is still unfinished (see
   * `FileRecords.delete`).
   */
  async #remove(
    file: StoredFile,
    options: { unfinished?: boolean } = {},
  ): Promise<boolean> {
    const removed = await this.#o.store.files.delete(file.id, options);
    if (!removed) return false;
    if (file.thumbnail !== undefined) {
      const thumb = await this.#file(file.thumbnail);
      if (thumb?.owner === file.owner) {
        await this.#o.store.files.delete(thumb.id);
      }
    }
    return removed;
  }

  async #own(who: Uploader, id: string): Promise<StoredFile> {
    const file = await this.#file(id);
    if (!file || file.owner !== who.key) {
      throw new HttpError(404, `No such upload: ${id}`);
    }
    return file;
  }

  /**
   * The stored file `id`, or null; an id no file can have (one from a URL,
   * longer than any made, or with characters ours never hold: a NUL, which
   * PostgreSQL refuses in text) is not looked up.
   */
  async #file(id: string): Promise<StoredFile | null> {
    if (!FILE_ID.test(id) || id.length > MAX_FILE_ID_LENGTH) return null;
    return await this.#o.store.files.get(id);
  }

  async #store(
    file: StoredFile,
    range: ContentRange,
    body: ReadableStream<Uint8Array> | null,
  ): Promise<void> {
    const length = range.end - range.start + 1;
    // Bytes stored already (a resend) are read and dropped.
    let skip = file.received - range.start;
    let at = file.received;
    let seen = 0;
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      let bytes = join(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      for (;;) {
        try {
          at = await this.#o.store.files.write(file.id, at, bytes);
          return;
        } catch (e) {
          if (!(e instanceof FileWriteError)) throw e;
          // Another request (a resend of this range) stored some of these
          // bytes meanwhile: they are dropped, as a resend's are.
          const covered = e.received - at;
          if (covered <= 0) {
            throw new HttpError(409, `${e.message}: ask HEAD for the offset`);
          }
          if (covered >= bytes.length) {
            skip += covered - bytes.length;
            at = e.received;
            return;
          }
          bytes = bytes.subarray(covered);
          at = e.received;
        }
      }
    };
    if (!body) throw new HttpError(400, "Bad range: the request has no body");
    const reader = body.getReader();
    // A stalled body holds no request open: silent this long, it is cut off.
    const idleMs = this.#o.config.uploadIdleMs;
    try {
      for (;;) {
        const { done, value } = await readWithin(reader, idleMs);
        if (done) break;
        seen += value.length;
        if (seen > length) {
          throw new HttpError(
            400,
            `Bad range: the body is longer than the ${length} bytes of its Content-Range`,
          );
        }
        let chunk = value;
        while (chunk.length > 0) {
          // A flush can find more stored already: skip is checked each time.
          if (skip > 0) {
            const n = Math.min(skip, chunk.length);
            skip -= n;
            chunk = chunk.subarray(n);
            continue;
          }
          const n = Math.min(chunk.length, MAX_WRITE_BYTES - pendingBytes);
          pending.push(chunk.slice(0, n));
          pendingBytes += n;
          chunk = chunk.subarray(n);
          if (pendingBytes === MAX_WRITE_BYTES) await flush();
        }
      }
    } catch (error) {
      // The connection broke off (or the body overran): keep what arrived.
      await flush().catch(() => {});
      if (error instanceof HttpError && error.status === 408) {
        await reader.cancel().catch(() => {});
      } else {
        reader.releaseLock();
      }
      throw error;
    }
    await flush();
    if (seen < length) {
      throw new HttpError(
        400,
        `Bad range: the body ended after ${seen} of the ${length} bytes of its Content-Range; ${at} bytes are stored`,
      );
    }
  }

  /** Sniffs a fully received file, completes it and posts it (once). */
  async #finish(who: Uploader, file: StoredFile): Promise<StoredFile> {
    // Checked before completing: a file its uploader may not post stays
    // unfinished, so it can be cancelled, sent again after joining, or
    // removed by the sweep of abandoned uploads, rather than kept forever.
    if (
      file.purpose === "file" && file.message === undefined &&
      !(await this.#o.isMember(file.room, who.key))
    ) {
      throw new HttpError(403, `Join ${file.room} to post to it`);
    }
    if (!file.complete) {
      const head = await readHead(this.#o.store, file);
      const found = await sniff(head);
      const image = RASTER_IMAGES.has(found.type);
      const refuse = async (message: string) => {
        await this.#remove(file);
        throw new HttpError(415, message);
      };
      if (file.purpose === "thumbnail") {
        if (!image) {
          await refuse(
            `Not an image: a thumbnail must be PNG, JPEG, GIF or WebP, these bytes are ${found.type}`,
          );
        }
        if (
          (found.width ?? Infinity) > MAX_THUMBNAIL_PIXELS ||
          (found.height ?? Infinity) > MAX_THUMBNAIL_PIXELS
        ) {
          await refuse(
            `Thumbnail too large: at most ${MAX_THUMBNAIL_PIXELS} pixels either way`,
          );
        }
      } else if (RASTER_IMAGES.has(file.declaredType) && !image) {
        await refuse(
          `Not an image: declared ${file.declaredType}, the bytes are ${found.type}`,
        );
      }
      const done = await this.#o.store.files.complete(file.id, found);
      if (!done) throw new HttpError(409, "The upload changed meanwhile");
      file = done;
    }
    if (file.purpose === "file" && file.message === undefined) {
      const reply = file.parent === undefined ? undefined : {
        parent: file.parent,
        ...(file.alsoInRoom ? { alsoInRoom: true } : {}),
      };
      const message = await this.#o.post(
        who,
        file.room,
        fileRef(file),
        `file:${file.id}`,
        reply,
      ).catch((error) => {
        if (error instanceof ChatError) {
          throw error.code === "unavailable"
            ? new HttpError(
              503,
              "The file is stored but could not be posted yet: send the last range again",
            )
            : new HttpError(
              error.code === "no_such_room" ? 404 : 403,
              error.message,
            );
        }
        throw error;
      });
      await this.#o.store.files.posted(file.id, message.id);
      file = { ...file, message: message.id };
    }
    return file;
  }

  async #status(file: StoredFile): Promise<UploadStatus> {
    const status: UploadStatus = {
      id: file.id,
      name: file.name,
      size: file.size,
      received: file.received,
      complete: file.complete,
    };
    if (file.complete) status.file = fileRef(file);
    if (file.message !== undefined) {
      const message = await this.#o.store.get(file.room, file.message);
      if (message) status.message = message;
    }
    return status;
  }
}

/** A complete file as messages refer to it. */
export function fileRef(file: StoredFile): FileRef {
  const ref: FileRef = {
    id: file.id,
    name: file.name,
    size: file.size,
    type: file.type ?? "application/octet-stream",
  };
  if (file.width !== undefined) ref.width = file.width;
  if (file.height !== undefined) ref.height = file.height;
  if (file.thumbnail !== undefined) ref.thumbnail = file.thumbnail;
  return ref;
}

/**
 * A file's name without paths, controls, bidi controls (which could make
 * "invoice\u202Efdp.exe" read as "invoiceexe.pdf") or surrounding space; 400
 * when nothing is left.
 */
function cleanName(raw: string): string {
  const base = raw.split(/[/\\]/).pop() ?? "";
  // Line breaks of any kind (a CR too) and tabs are spaces in a name.
  const clean = cleanText(base.replace(/\r\n?|[\n\t]/g, " "));
  if (!clean.ok) throw new HttpError(400, `Bad name: ${clean.message}`);
  // At most MAX_NAME_LENGTH UTF-16 units (as the protocol counts), never
  // cutting a character in two.
  let name = "";
  for (const c of withoutBidi(clean.text).trim()) {
    if (name.length + c.length > MAX_NAME_LENGTH) break;
    name += c;
  }
  if (name === "" || name === "." || name === "..") {
    throw new HttpError(400, "Bad name: the file needs a name");
  }
  return name;
}

async function readHead(store: Store, file: StoredFile): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (
    const p of store.files.read(file.id, 0, Math.min(file.size, SNIFF_BYTES))
  ) {
    parts.push(p);
    n += p.length;
  }
  return join(parts, n);
}

function join(parts: Uint8Array[], n: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One read of `reader`, or a 408 when nothing arrives within `ms`. */
async function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  ms: number,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new HttpError(
            408,
            `The body sent nothing for ${
              ms / 1000
            } s; what arrived is stored: ask HEAD for the offset and resume`,
          ),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([reader.read(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What every file id is made of (see {@link randomFileId}). */
const FILE_ID = /^[A-Za-z0-9_-]+$/;

/** 128 random bits in base64url: ids nobody can guess. */
function randomFileId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-")
    .replace(/\//g, "_").replace(/=+$/, "");
}
