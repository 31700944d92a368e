import { HttpError } from "fresh";
import { define } from "@/utils.ts";
import {
  type Uploader,
  uploaderOf,
  type UploadStatus,
} from "@/lib/server/files/uploads.ts";
import { parseContentRange } from "@/lib/server/files/ranges.ts";

/**
 * An upload in progress, its uploader's only (anyone else gets 404):
 * - `GET`/`HEAD`: how far it is, `{id, name, size, received, complete,
 *   file?, message?}`, with `Upload-Offset` (bytes stored) and
 *   `Upload-Length` headers: a cut-off upload resumes from the offset.
 * - `PUT` with `Content-Range: bytes {start}-{end}/{size}`: stores those
 *   bytes (each piece durable as it arrives); the last one completes the
 *   upload (sniffed, then posted to the room) and answers with its message.
 * - `DELETE`: cancels an incomplete upload, freeing its quota.
 */
export const handler = define.handlers({
  async GET(ctx) {
    const status = await ctx.state.chat.uploads.status(
      uploader(ctx.state.user, ctx.req.headers, ctx.params.id),
      ctx.params.id,
    );
    return statusResponse(status);
  },

  async PUT(ctx) {
    const who = uploader(ctx.state.user, ctx.req.headers, ctx.params.id);
    const length = ctx.req.headers.get("content-length");
    const range = parseContentRange(
      ctx.req.headers.get("content-range"),
      length === null ? undefined : Number(length),
    );
    const status = await ctx.state.chat.uploads.write(
      who,
      ctx.params.id,
      range,
      ctx.req.body,
    );
    return statusResponse(status);
  },

  async DELETE(ctx) {
    await ctx.state.chat.uploads.cancel(
      uploader(ctx.state.user, ctx.req.headers, ctx.params.id),
      ctx.params.id,
    );
    return new Response(null, { status: 204 });
  },
});

function uploader(
  user: { name: string } | undefined,
  headers: Headers,
  id: string,
): Uploader {
  const who = uploaderOf(user, headers);
  if (!who) throw new HttpError(404, `No such upload: ${id}`);
  return who;
}

function statusResponse(status: UploadStatus): Response {
  return Response.json(status, {
    headers: {
      "upload-offset": String(status.received),
      "upload-length": String(status.size),
      "cache-control": "no-store",
    },
  });
}
