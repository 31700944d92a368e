/**
 * Uploading a file from the browser (see "Files" in docs/protocol.md): an
 * image's thumbnail first (made here, on a canvas), then the file in pieces,
 * each `PUT` with its `Content-Range`. A piece that fails (the network
 * dropped, the server restarted) is retried from the offset the server
 * reports, so an upload survives a dropped connection; the answer to the last
 * piece is the posted message. No island code: the composer calls it.
 *
 * @module
 */
import type { ChatMessage, FileRef } from "@/lib/shared/protocol.ts";

/** Bytes per `PUT`: big enough to be quick, small enough to lose little. */
export const PIECE_BYTES = 1024 * 1024;
/** The longer side of a thumbnail, in pixels. */
export const THUMBNAIL_PIXELS = 320;

/** Options of {@link uploadFile}. */
export interface UploadOptions {
  /** A guest's token (from `welcome`); accounts go by their cookie. */
  guestToken?: string;
  /** Told the bytes the server has stored, as they grow. */
  onProgress?: (stored: number, total: number) => void;
  /** A thumbnail to send first (see {@link makeThumbnail}). */
  thumbnail?: Blob;
  /** Posts the file to this thread (the id of its first message). */
  parent?: number;
  /** Posted to a thread, shows in the room's timeline too. */
  alsoInRoom?: boolean;
  /** Bytes per `PUT` (default {@link PIECE_BYTES}). */
  pieceBytes?: number;
  /** Failed pieces retried in a row before giving up (default 5). */
  retries?: number;
  /** Where the server is (default: this page's origin). */
  base?: string;
  /** The fetch to use (tests inject failures). */
  fetch?: typeof fetch;
}

/** What a finished upload answers. */
export interface Uploaded {
  /** The file as messages refer to it. */
  file: FileRef;
  /** The message that posted it (absent for a thumbnail). */
  message?: ChatMessage;
}

/** An upload the server refused, with its status and reason. */
export class UploadError extends Error {
  /** Always `"UploadError"`. */
  override name = "UploadError";

  /** `status` is the HTTP status (0 when the server never answered). */
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

/**
 * Uploads `file` (a `File`, or a `Blob` with a name) to `room` (to a thread
 * of it with `options.parent`) and resolves with the posted message once the
 * last byte is stored.
 *
 * @example
 * ```ts
 * const { message } = await uploadFile("general", input.files[0], {
 *   onProgress: (stored, total) => bar.value = stored / total,
 * });
 * ```
 */
export async function uploadFile(
  room: string,
  file: Blob & { name?: string },
  options: UploadOptions = {},
): Promise<Uploaded> {
  let thumbnail: string | undefined;
  if (options.thumbnail) {
    const thumb = await send(room, options.thumbnail, {
      name: `thumbnail-${file.name ?? "file"}`,
      purpose: "thumbnail",
    }, { ...options, onProgress: undefined });
    thumbnail = thumb.file.id;
  }
  return await send(room, file, {
    name: file.name ?? "file",
    ...(thumbnail ? { thumbnail } : {}),
    ...(options.parent !== undefined ? { parent: options.parent } : {}),
    ...(options.parent !== undefined && options.alsoInRoom
      ? { alsoInRoom: true }
      : {}),
  }, options);
}

async function send(
  room: string,
  blob: Blob,
  meta: {
    name: string;
    purpose?: "thumbnail";
    thumbnail?: string;
    parent?: number;
    alsoInRoom?: boolean;
  },
  options: UploadOptions,
): Promise<Uploaded> {
  const f = options.fetch ?? fetch;
  const base = options.base ?? "";
  const auth: Record<string, string> = options.guestToken
    ? { "x-guest-token": options.guestToken }
    : {};
  const created = await answer(
    await f(`${base}/api/rooms/${encodeURIComponent(room)}/uploads`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify({ ...meta, size: blob.size, type: blob.type }),
    }),
  );
  const url = `${base}${created.uploadUrl as string}`;
  const piece = options.pieceBytes ?? PIECE_BYTES;
  const retries = options.retries ?? 5;
  let stored = 0;
  for (let failures = 0;;) {
    // All stored but the answer was lost: the last byte again asks for it.
    const start = Math.min(stored, blob.size - 1);
    const end = Math.min(blob.size, start + piece);
    let result: Record<string, unknown>;
    try {
      result = await answer(
        await f(url, {
          method: "PUT",
          headers: {
            "content-range": `bytes ${start}-${end - 1}/${blob.size}`,
            "content-type": "application/octet-stream",
            ...auth,
          },
          body: blob.slice(start, end),
        }),
      );
    } catch (error) {
      // Refusals other than a moved offset are final; anything else is retried.
      if (
        error instanceof UploadError && error.status !== 409 &&
        error.status !== 0 && error.status < 500
      ) throw error;
      if (++failures > retries) throw error;
      await new Promise((r) => setTimeout(r, 200 * 2 ** failures));
      stored = await offset(f, url, auth) ?? stored;
      continue;
    }
    failures = 0;
    stored = result.received as number;
    options.onProgress?.(stored, blob.size);
    if (result.complete) {
      return {
        file: result.file as FileRef,
        ...(result.message ? { message: result.message as ChatMessage } : {}),
      };
    }
  }
}

/** The bytes the server holds of the upload at `url`, or null when it can't say. */
async function offset(
  f: typeof fetch,
  url: string,
  auth: Record<string, string>,
): Promise<number | null> {
  try {
    const res = await f(url, { method: "HEAD", headers: auth });
    await res.body?.cancel();
    return res.ok ? Number(res.headers.get("upload-offset")) : null;
  } catch {
    return null;
  }
}

/** A JSON answer, or an {@link UploadError} with the server's message. */
async function answer(res: Response): Promise<Record<string, unknown>> {
  const body = await res.json().catch(() => null) as
    | Record<string, unknown>
    | null;
  if (!res.ok) {
    const error = (body?.error ?? {}) as { message?: string };
    throw new UploadError(
      error.message ?? `Upload failed: HTTP ${res.status}`,
      res.status,
    );
  }
  if (!body) throw new UploadError("Upload failed: no answer", 0);
  return body;
}

/**
 * A small JPEG of an image file, at most {@link THUMBNAIL_PIXELS} on its
 * longer side, made on a canvas in the browser; null for anything the
 * browser can't decode as an image (the file is sent without one).
 */
export async function makeThumbnail(file: Blob): Promise<Blob | null> {
  if (!/^image\/(png|jpeg|gif|webp)$/.test(file.type)) return null;
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(
      1,
      THUMBNAIL_PIXELS / Math.max(bitmap.width, bitmap.height),
    );
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new OffscreenCanvas(width, height);
    canvas.getContext("2d")!.drawImage(bitmap, 0, 0, width, height);
    bitmap.close();
    return await canvas.convertToBlob({ type: "image/jpeg", quality: 0.8 });
  } catch {
    return null;
  }
}
