import { HttpError } from "fresh";
import { z } from "zod";
import { define } from "@/utils.ts";
import { uploaderOf } from "@/lib/server/files/uploads.ts";
import { readJson } from "@/lib/server/http/json_body.ts";
import { clientAddress } from "@/lib/server/http/client_address.ts";
import { MAX_FILE_ID_LENGTH } from "@/lib/shared/protocol.ts";

const newUpload = z.object({
  name: z.string().max(1024),
  size: z.number().int(),
  type: z.string().max(200).default(""),
  purpose: z.enum(["file", "thumbnail"]).optional(),
  thumbnail: z.string().min(1).max(MAX_FILE_ID_LENGTH).optional(),
  parent: z.number().int().positive().optional(),
  alsoInRoom: z.boolean().optional(),
});

/**
 * `POST /api/rooms/{room}/uploads` with `{name, size, type, purpose?,
 * thumbnail?, parent?, alsoInRoom?}`: starts an upload by a member of the
 * room (an account by its session, a guest by `X-Guest-Token`), posted once
 * complete to the room or, with `parent`, to that message's thread, and
 * answers 201 with
 * `{id, uploadUrl, size, received}` (429 when guests at the client's address
 * started `UPLOAD_QUOTA_BYTES` of uploads within the hour); the bytes go to `uploadUrl` by `PUT`
 * (see "Files" in docs/protocol.md).
 */
export const handler = define.handlers({
  async POST(ctx) {
    const room = ctx.params.room;
    const { uploads } = ctx.state.chat;
    const body = newUpload.safeParse(await readJson(ctx.req));
    if (!body.success) {
      const issue = body.error.issues[0];
      throw new HttpError(
        400,
        `Bad upload: ${issue.path.join(".") || "body"}: ${issue.message}`,
      );
    }
    const who = uploaderOf(ctx.state.user, ctx.req.headers);
    if (!who) {
      if (!(await ctx.state.chat.isPublic(room))) {
        throw new HttpError(404, `No such room: ${room}`);
      }
      throw new HttpError(
        403,
        "Uploading needs an account or a guest token (X-Guest-Token)",
      );
    }
    const file = await uploads.create(
      who,
      room,
      body.data,
      clientAddress(ctx.req, ctx.info, ctx.state.chat.config),
    );
    const uploadUrl = `/api/uploads/${file.id}`;
    return Response.json(
      { id: file.id, uploadUrl, size: file.size, received: file.received },
      { status: 201, headers: { location: uploadUrl } },
    );
  },
});
