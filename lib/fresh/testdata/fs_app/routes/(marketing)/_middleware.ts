import { define } from "../../state.ts";

/** Middleware exported as `handler`, Fresh 1 style. */
export const handler = define.middleware(function marketing(ctx) {
  ctx.state.trail.push("marketing");
  return ctx.next();
});
