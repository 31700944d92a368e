import { define } from "../../state.ts";

/** Only GET (and so HEAD) is answered. */
export const handler = define.handlers({
  GET: () => new Response("Only GET", { headers: { "x-only": "get" } }),
});
