import { define } from "@/utils.ts";

/**
 * `GET /api/rooms`: every room with its live user count, in the original
 * project's format `{"rooms":[{"id","name","users_count"}]}`.
 */
export const handler = define.handlers({
  async GET(ctx) {
    return Response.json({ rooms: await ctx.state.chat.rooms() });
  },
});
