import { define } from "../../state.ts";

/** A handler function answers every method. */
export const handler = define.handlers((ctx) =>
  new Response(`${ctx.req.method} ${ctx.state.trail.join(">")}`)
);
