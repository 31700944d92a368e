import { HttpError } from "fresh";
import { define } from "@/utils.ts";

/**
 * Any other path under `/api`: a 404 in the API's JSON form (see
 * `_middleware.ts`), not the HTML error page.
 */
export const handler = define.handlers((ctx) => {
  throw new HttpError(404, `No API at ${ctx.url.pathname}`);
});
