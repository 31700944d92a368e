import { HttpError } from "fresh";
import { define } from "@/utils.ts";
import { requesterKey } from "@/lib/server/chat/identity.ts";
import { parseQuery } from "@/lib/server/store/search_match.ts";
import { search, SearchError } from "@/lib/server/search/search.ts";
import { clientAddress } from "@/lib/server/http/client_address.ts";
import { jsonError } from "@/lib/server/http/json_errors.ts";
import {
  DEFAULT_SEARCH_LIMIT,
  MAX_QUERY_CHARS,
  MAX_SEARCH_LIMIT,
} from "@/lib/shared/search.ts";

/**
 * `GET /api/search?q=&room=&before=&limit=`: messages matching `q`, newest
 * first, with highlights, in the rooms the requester may read (an account
 * by its session cookie, a guest by its token in `X-Guest-Token`); see
 * `lib/server/search/search.ts` and docs/protocol.md. Over the address's
 * budget 429, over the server's 503, each with `Retry-After`
 * (`lib/server/search/search_gate.ts`).
 */
export const handler = define.handlers({
  async GET(ctx) {
    const params = ctx.url.searchParams;
    const q = params.get("q");
    if (q === null || q.trim() === "") {
      throw new HttpError(400, "Missing q: the words to search for");
    }
    if ([...q].length > MAX_QUERY_CHARS) {
      throw new HttpError(
        400,
        `Invalid q: longer than ${MAX_QUERY_CHARS} characters`,
      );
    }
    if (parseQuery(q).lookup.length === 0) {
      throw new HttpError(400, "Invalid q: it has no letters or digits");
    }
    const limitText = params.get("limit");
    const limit = limitText === null ? DEFAULT_SEARCH_LIMIT : Number(limitText);
    if (
      limitText !== null &&
      (!/^\d{1,3}$/.test(limitText) || limit < 1 || limit > MAX_SEARCH_LIMIT)
    ) {
      throw new HttpError(
        400,
        `Invalid limit: expected an integer from 1 to ${MAX_SEARCH_LIMIT}`,
      );
    }
    const reader = requesterKey(ctx.req, ctx.state.user);
    const { chat, searches } = ctx.state;
    const address = clientAddress(ctx.req, ctx.info, chat.config);
    try {
      const out = await searches.run(address, () =>
        search({
          store: chat.store,
          mayRead: (room, key) => chat.mayRead(room, key),
        }, {
          reader,
          q,
          room: params.get("room") ?? undefined,
          before: params.get("before") ?? undefined,
          limit,
        }));
      if ("refusal" in out) {
        const { status, message, retryAfter } = out.refusal;
        const res = jsonError(status, message);
        res.headers.set("retry-after", String(retryAfter));
        return res;
      }
      return Response.json(out.value);
    } catch (error) {
      if (error instanceof SearchError) {
        throw new HttpError(error.status, error.message);
      }
      throw error;
    }
  },
});
