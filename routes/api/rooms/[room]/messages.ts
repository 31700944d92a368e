import { HttpError } from "fresh";
import { define } from "@/utils.ts";
import { intParam } from "@/lib/server/http/query_params.ts";
import { requesterKey } from "@/lib/server/chat/identity.ts";

const MAX_LIMIT = 200;

/**
 * `GET /api/rooms/{room}/messages?before={id}&limit={n}`: a page of history,
 * oldest first, with `hasMore` when older messages exist. A private room or
 * DM answers its members only (an account by its session cookie, a guest by
 * its token in the `X-Guest-Token` header); to anyone else it is 404, as if
 * it did not exist.
 */
export const handler = define.handlers({
  async GET(ctx) {
    const { chat } = ctx.state;
    const room = ctx.params.room;
    const limit = intParam(ctx.url.searchParams, "limit", 50, 1, MAX_LIMIT);
    const before = intParam(
      ctx.url.searchParams,
      "before",
      undefined,
      1,
      Number.MAX_SAFE_INTEGER,
    );
    const key = requesterKey(ctx.req, ctx.state.user);
    if (!(await chat.mayRead(room, key))) {
      throw new HttpError(404, `No such room: ${room}`);
    }
    return Response.json(await chat.store.history(room, limit, before));
  },
});
