import { HttpError } from "fresh";
import { define } from "@/utils.ts";

/**
 * Any other path under `/ws`: a 404 in JSON (see `_middleware.ts`), not
 * the HTML error page.
 */
export const handler = define.handlers((ctx) => {
  throw new HttpError(404, `No WebSocket endpoint at ${ctx.url.pathname}`);
});
