import { define } from "@/utils.ts";

/**
 * `GET /api/rooms`: the public rooms with the people online in each, in the
 * original project's format `{"rooms":[{"id","name","users_count"}]}`.
 * Private rooms and DMs are never listed; the paged directory is
 * `/api/directory`.
 */
export const handler = define.handlers({
  async GET(ctx) {
    return Response.json({ rooms: await ctx.state.chat.rooms() });
  },
});
