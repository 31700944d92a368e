import { HttpError } from "fresh";
import { define } from "@/utils.ts";

const MAX_LIMIT = 200;

/**
 * `GET /api/rooms/{room}/messages?before={id}&limit={n}`: a page of history,
 * oldest first, with `hasMore` when older messages exist.
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
    if (!(await chat.hasRoom(room))) {
      throw new HttpError(404, `No such room: ${room}`);
    }
    return Response.json(await chat.store.history(room, limit, before));
  },
});

function intParam<D extends number | undefined>(
  params: URLSearchParams,
  name: string,
  fallback: D,
  min: number,
  max: number,
): number | D {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new HttpError(
      400,
      `Invalid ${name}: expected an integer from ${min} to ${max}`,
    );
  }
  return n;
}
