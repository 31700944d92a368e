import { define } from "@/utils.ts";
import { uploaderOf } from "@/lib/server/files/uploads.ts";
import { fileHeaders } from "@/lib/server/files/file_headers.ts";
import {
  parseRange,
  RangeNotSatisfiableError,
} from "@/lib/server/files/ranges.ts";
import { jsonError } from "@/lib/server/http/json_errors.ts";
import { guestCookieOf } from "@/lib/server/files/guest_cookie.ts";

/**
 * `GET /api/files/{id}`: a complete file's bytes, to anyone who may read
 * its room (a private room's members only: 404 to anyone else, as if it did
 * not exist; a guest by its header or its cookie). Served with its sniffed type, `nosniff`, and as a download
 * unless it is a raster image; one `Range` is honoured (206), an invalid
 * one ignored, one past the end a 416 whose `Content-Range` gives the size.
 */
export const handler = define.handlers({
  async GET(ctx) {
    const key = uploaderOf(
      ctx.state.user,
      ctx.req.headers,
      guestCookieOf(ctx.req),
    )?.key;
    const { file, publicRoom, read } = await ctx.state.chat.uploads.download(
      key,
      ctx.params.id,
    );
    const headers = fileHeaders({
      type: file.type ?? "application/octet-stream",
      name: file.name,
      size: file.size,
      id: file.id,
      publicRoom,
    });
    if (ctx.req.headers.get("if-none-match") === `"${file.id}"`) {
      return new Response(null, { status: 304, headers });
    }
    let range: [number, number] | null;
    try {
      range = parseRange(ctx.req.headers.get("range"), file.size);
    } catch (error) {
      if (!(error instanceof RangeNotSatisfiableError)) throw error;
      const res = jsonError(416, error.message);
      res.headers.set("content-range", `bytes */${error.size}`);
      res.headers.set("accept-ranges", "bytes");
      return res;
    }
    const [from, to] = range ?? [0, file.size];
    headers.set("content-length", String(to - from));
    if (range) {
      headers.set("content-range", `bytes ${from}-${to - 1}/${file.size}`);
    }
    const body = ctx.req.method === "HEAD"
      ? null
      : ReadableStream.from(read(from, to));
    return new Response(body, { status: range ? 206 : 200, headers });
  },
});
