import { HttpError } from "fresh";
import { define } from "@/utils.ts";
import { intParam } from "@/lib/server/http/query_params.ts";
import { ROOM_ID } from "@/lib/shared/names.ts";

/**
 * `GET /api/directory?cursor={room id}&limit={n}`: a page of the public
 * rooms ordered by id, `{"rooms": [{id, name, topic?, members, online}],
 * "next"?}`; pass `next` as `cursor` for the following page.
 */
export const handler = define.handlers({
  async GET(ctx) {
    const params = ctx.url.searchParams;
    const limit = intParam(params, "limit", 50, 1, 200);
    const cursor = params.get("cursor") ?? undefined;
    if (cursor !== undefined && !ROOM_ID.test(cursor)) {
      throw new HttpError(400, "Invalid cursor: expected a room id");
    }
    return Response.json(await ctx.state.chat.directory(cursor, limit));
  },
});
