import { HttpError } from "fresh";
import { define } from "@/utils.ts";
import { intParam } from "@/lib/server/http/query_params.ts";
import { fold, ROOM_ID } from "@/lib/shared/names.ts";

/** What a room id's start may be (folded): up to 32 of a room id's characters. */
const PREFIX = /^[a-z0-9_-]{0,32}$/;

/**
 * `GET /api/directory?cursor={room id}&limit={n}&prefix={start of an id}`:
 * a page of the public rooms ordered by id, `{"rooms": [{id, name, topic?,
 * members, online}], "next"?}`; pass `next` as `cursor` for the following
 * page. With `prefix`, only rooms whose id starts with it (`#` completion).
 */
export const handler = define.handlers({
  async GET(ctx) {
    const params = ctx.url.searchParams;
    const limit = intParam(params, "limit", 50, 1, 200);
    const cursor = params.get("cursor") ?? undefined;
    if (cursor !== undefined && !ROOM_ID.test(cursor)) {
      throw new HttpError(400, "Invalid cursor: expected a room id");
    }
    const raw = params.get("prefix");
    const prefix = raw === null ? undefined : fold(raw);
    if (prefix !== undefined && !PREFIX.test(prefix)) {
      throw new HttpError(
        400,
        "Invalid prefix: room ids hold up to 32 of a-z, 0-9, _ and -",
      );
    }
    return Response.json(
      await ctx.state.chat.directory(cursor, limit, prefix),
    );
  },
});
