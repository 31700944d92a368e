import { HttpError } from "fresh";
import { define } from "@/utils.ts";
import { jsonErrors } from "@/lib/server/http/json_errors.ts";
import { isGuestToken } from "@/lib/server/chat/identity.ts";

/**
 * API errors are JSON: `{"error": {"status", "message"}}`. A guest token
 * that isn't one as issued is refused here with 400, for every route, rather
 * than taken as an identity of the client's choosing.
 */
export default define.middleware([
  jsonErrors(),
  (ctx) => {
    const token = ctx.req.headers.get("x-guest-token");
    if (token !== null && !isGuestToken(token)) {
      throw new HttpError(400, "X-Guest-Token must be a guest token");
    }
    return ctx.next();
  },
]);
