import { define } from "../../state.ts";

/** Two middlewares as an array: they run in order. */
export default define.middleware([
  function first(ctx) {
    ctx.state.trail.push("admin-1");
    return ctx.next();
  },
  function second(ctx) {
    ctx.state.trail.push("admin-2");
    return ctx.next();
  },
]);
