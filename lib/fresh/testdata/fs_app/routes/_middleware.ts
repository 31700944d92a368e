import { define } from "../state.ts";

/** Starts the trail and marks every response. */
export default define.middleware(async function root(ctx) {
  ctx.state.trail = ["root"];
  const res = await ctx.next();
  res.headers.set("x-root-middleware", "1");
  return res;
});
