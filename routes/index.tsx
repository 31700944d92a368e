import { define } from "@/utils.ts";

/** `/` opens the first default room. */
export const handler = define.handlers({
  GET(ctx) {
    return ctx.redirect(`/rooms/${ctx.state.chat.config.rooms[0]}`, 303);
  },
});
