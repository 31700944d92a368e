import { HttpError } from "fresh";
import { define } from "@/utils.ts";
import { intParam } from "@/lib/server/http/query_params.ts";
import { requesterKey } from "@/lib/server/chat/identity.ts";
import { fold } from "@/lib/shared/names.ts";

/** Members answered at most, and by default. */
const MAX_LIMIT = 20;
const DEFAULT_LIMIT = 8;
/** A prefix's length at most, in characters: a name's (24) and some. */
const MAX_PREFIX = 32;
/** What a folded prefix may hold: what names hold, and combining marks. */
const PREFIX = /^[\p{L}\p{N}\p{M}_.-]*$/u;

/**
 * `GET /api/rooms/{room}/members?prefix={start of a name}&limit={n}`: the
 * room's members whose name starts with `prefix` (compared folded: case
 * and width don't matter), `{"users": [{name, guest, status}]}`, the name
 * typed in full first, then those online, for `@` completion in rooms too
 * big to load. Readable rooms only, as for history: a private room or DM
 * answers its members (an account by its session cookie, a guest by
 * `X-Guest-Token`), anyone else gets 404.
 */
export const handler = define.handlers({
  async GET(ctx) {
    const { chat } = ctx.state;
    const room = ctx.params.room;
    const params = ctx.url.searchParams;
    const raw = params.get("prefix");
    if (raw === null) {
      throw new HttpError(400, "Missing prefix: the start of a name");
    }
    if ([...raw].length > MAX_PREFIX) {
      throw new HttpError(
        400,
        `Invalid prefix: longer than ${MAX_PREFIX} characters`,
      );
    }
    const prefix = fold(raw);
    if (!PREFIX.test(prefix)) {
      throw new HttpError(
        400,
        "Invalid prefix: names hold letters, digits, _, - and . only",
      );
    }
    const limit = intParam(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
    const key = requesterKey(ctx.req, ctx.state.user);
    if (!(await chat.mayRead(room, key))) {
      throw new HttpError(404, `No such room: ${room}`);
    }
    return Response.json({
      users: await chat.findMembers(room, prefix, limit),
    });
  },
});
